package io.steer4j.djl.steering;

/**
 * The last hidden state of one text from an encoder: one row per token the model saw, special tokens included.
 *
 * @param tokenIds the tokens ({@code [CLS] ... [SEP]} for BERT)
 * @param states   {@code [tokens][hidden]}
 */
public record TokenStates(long[] tokenIds, float[][] states) {
    /** Validates that there is one state per token. */
    public TokenStates {
        if (tokenIds.length != states.length) {
            throw new IllegalArgumentException(tokenIds.length + " tokens but " + states.length + " states");
        }
    }
}
