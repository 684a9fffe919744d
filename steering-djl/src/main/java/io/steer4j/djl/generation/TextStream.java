package io.steer4j.djl.generation;

import io.steer4j.djl.model.LanguageModel;

/** Turns a row's growing token list into text deltas for a listener, holding back incomplete characters. */
final class TextStream {
    private final LanguageModel model;
    private final TokenListener listener;
    private final int row;
    private int emitted;

    TextStream(LanguageModel model, TokenListener listener, int row) {
        this.model = model;
        this.listener = listener;
        this.row = row;
    }

    void accept(long[] tokens, int count) {
        if (listener == TokenListener.NONE) {
            return;
        }
        String text = model.tokenizer().decode(java.util.Arrays.copyOf(tokens, count), true);
        String delta = "";
        if (!text.endsWith("\uFFFD") && text.length() >= emitted) {
            delta = text.substring(emitted);
            emitted = text.length();
        }
        listener.onToken(row, tokens[count - 1], delta);
    }
}
