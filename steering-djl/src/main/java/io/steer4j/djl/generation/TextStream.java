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
 *
 * <p>The last few prompt tokens seed that context, so the first generated word keeps the leading space the
 * tokenizer's decoder gives it after the prompt (SentencePiece would drop it from a text of its own), and the
 * deltas join to {@link GenerationResult#text()}.
 */
final class TextStream {
    private static final char REPLACEMENT = '\uFFFD';
    /** Prompt tokens kept as decoding context (as vLLM's initial incremental-detokenisation offset). */
    static final int PROMPT_CONTEXT = 6;

    private final LanguageModel model;
    private final TokenListener listener;
    private final int row;
    /** The prompt's last tokens; offsets below index the virtual sequence context + generated. */
    private final long[] context;
    /** Start of the context window: tokens before it are emitted and no longer decoded. */
    private int prefixOffset;
    /** End of the emitted tokens; tokens from here on are pending. */
    private int readOffset;
    /** Characters emitted so far. */
    private int emitted;

    TextStream(LanguageModel model, TokenListener listener, int row) {
        this(model, listener, row, new long[0]);
    }

    /** A stream whose first tokens follow {@code prompt} (its last {@link #PROMPT_CONTEXT} tokens are context). */
    TextStream(LanguageModel model, TokenListener listener, int row, long[] prompt) {
        this.model = model;
        this.listener = listener;
        this.row = row;
        this.context = Arrays.copyOfRange(prompt, Math.max(0, prompt.length - PROMPT_CONTEXT), prompt.length);
        this.readOffset = context.length;
    }

    /** Takes the row's first {@code count} generated tokens (the last one new) and emits its text delta. */
    void accept(long[] tokens, int count) {
        if (listener == TokenListener.NONE) {
            return;
        }
        int total = context.length + count;
        String prefix = prefixOffset == readOffset ? "" : decode(tokens, prefixOffset, readOffset);
        String full = decode(tokens, prefixOffset, total);
        String delta = "";
        if (!full.startsWith(prefix)) {
            // a tokenizer whose window decodes differently from the whole: fall back to the whole text
            String text = model.tokenizer().decodeAfter(context, Arrays.copyOf(tokens, count));
            if (text.length() > emitted && text.charAt(text.length() - 1) != REPLACEMENT) {
                delta = text.substring(emitted);
                prefixOffset = readOffset;
                readOffset = total;
            }
        } else if (full.length() > prefix.length() && full.charAt(full.length() - 1) != REPLACEMENT) {
            delta = full.substring(prefix.length());
            prefixOffset = readOffset;
            readOffset = total;
        }
        emitted += delta.length();
        listener.onToken(row, tokens[count - 1], delta);
    }

    /** Decodes positions {@code [from, to)} of context + generated. */
    private String decode(long[] generated, int from, int to) {
        long[] ids = new long[to - from];
        for (int i = from; i < to; i++) {
            ids[i - from] = i < context.length ? context[i] : generated[i - context.length];
        }
        return model.tokenizer().decode(ids, true);
    }
}
