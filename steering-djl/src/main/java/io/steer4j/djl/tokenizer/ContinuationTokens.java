package io.steer4j.djl.tokenizer;

/**
 * A prompt and its continuation as the model sees them when the two texts are written one after the other:
 * {@code prompt} then {@code continuation} is the encoding of {@code prompt + continuation} (special tokens
 * before the text included in {@code prompt}, any after it left out).
 *
 * @param prompt       the prompt's tokens, special prefix (BOS) included
 * @param continuation the tokens that carry the continuation's characters
 */
public record ContinuationTokens(long[] prompt, long[] continuation) {
    /** Copies both arrays. */
    public ContinuationTokens {
        prompt = prompt.clone();
        continuation = continuation.clone();
    }

    /** The prompt's tokens (a copy). */
    @Override
    public long[] prompt() {
        return prompt.clone();
    }

    /** The continuation's tokens (a copy). */
    @Override
    public long[] continuation() {
        return continuation.clone();
    }

    /** {@code prompt} followed by {@code continuation}. */
    public long[] all() {
        long[] all = java.util.Arrays.copyOf(prompt, prompt.length + continuation.length);
        System.arraycopy(continuation, 0, all, prompt.length, continuation.length);
        return all;
    }
}
