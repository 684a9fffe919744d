package io.steer4j.djl.generation;

/**
 * One row's generation.
 *
 * @param promptTokens the prompt's token ids
 * @param tokens       generated token ids (a stop token, when one ended the row, is included)
 * @param text         generated text, special tokens removed, decoded with the prompt as context (as the
 *                     tokenizer decodes prompt + generation, so a first word keeps its leading space)
 * @param finishReason why generation stopped
 */
public record GenerationResult(long[] promptTokens, long[] tokens, String text, FinishReason finishReason) {
    /** Copies the token arrays, so the record stays immutable. */
    public GenerationResult {
        promptTokens = promptTokens.clone();
        tokens = tokens.clone();
    }

    /**
     * @return a copy of the prompt's token ids
     */
    @Override
    public long[] promptTokens() {
        return promptTokens.clone();
    }

    /**
     * @return a copy of the generated token ids
     */
    @Override
    public long[] tokens() {
        return tokens.clone();
    }
}
