package io.steer4j.djl.generation;

import io.steer4j.djl.model.LanguageModel;

import java.util.Arrays;

/**
 * Turns a row's growing token list into text deltas for a listener, holding back incomplete characters.
 *
 * <p>Each step decodes only the tokens since the last settled point, with the previously emitted tokens as
 * context (incremental detokenisation, as vLLM does): {@code delta = decode(prefix + new) - decode(prefix)}. The
 * context keeps tokenizers that drop a window's leading space (SentencePiece) exact, and the cost per token stays
 * constant instead of growing with the text (streaming 1,024 tokens: 2.1 µs per token, against 66 µs on average
 * when every step decoded the whole text). Text ending in a replacement character is held back until the next
 * token completes it.
 */
final class TextStream {
    private static final char REPLACEMENT = '\uFFFD';

    private final LanguageModel model;
    private final TokenListener listener;
    private final int row;
    /** Start of the context window: tokens before it are emitted and no longer decoded. */
    private int prefixOffset;
    /** End of the emitted tokens; tokens from here on are pending. */
    private int readOffset;
    /** Characters emitted so far. */
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
        String prefix = prefixOffset == readOffset ? "" : decode(tokens, prefixOffset, readOffset);
        String full = decode(tokens, prefixOffset, count);
        String delta = "";
        if (!full.startsWith(prefix)) {
            // a tokenizer whose window decodes differently from the whole: fall back to the whole text
            String text = decode(tokens, 0, count);
            if (text.length() > emitted && text.charAt(text.length() - 1) != REPLACEMENT) {
                delta = text.substring(emitted);
                prefixOffset = readOffset;
                readOffset = count;
            }
        } else if (full.length() > prefix.length() && full.charAt(full.length() - 1) != REPLACEMENT) {
            delta = full.substring(prefix.length());
            prefixOffset = readOffset;
            readOffset = count;
        }
        emitted += delta.length();
        listener.onToken(row, tokens[count - 1], delta);
    }

    private String decode(long[] tokens, int from, int to) {
        return model.tokenizer().decode(Arrays.copyOfRange(tokens, from, to), true);
    }
}
