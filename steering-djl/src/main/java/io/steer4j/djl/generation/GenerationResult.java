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
    public GenerationResult {
        promptTokens = promptTokens.clone();
        tokens = tokens.clone();
    }

    @Override
    public long[] promptTokens() {
        return promptTokens.clone();
    }

    @Override
    public long[] tokens() {
        return tokens.clone();
    }
}
