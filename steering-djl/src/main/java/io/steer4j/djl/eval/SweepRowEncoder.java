package io.steer4j.djl.eval;

import io.steer4j.core.dataset.MultipleChoiceItem;
import io.steer4j.djl.generation.PromptText;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.tokenizer.ContinuationTokens;

import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns a sweep's evaluation items and neutral texts into {@link ScoringRows.Row}s with the model's tokenizer:
 * a continuation item's prompt and continuation as the tokens the model sees in {@code prompt + continuation}, an
 * A/B item's two answer letters as the next token after the question, a neutral text's every token after the
 * first. Each text is refused, naming it, when it comes to no tokens or cannot fit the model's context (checked on
 * its length in characters before tokenizing too).
 */
final class SweepRowEncoder {
    /** An answer such as {@code "(A)"}, {@code " (B) No"} or {@code "A"}: optional prefix, then one letter. */
    private static final Pattern ANSWER = Pattern.compile("^(\\s*\\(?\\s*)([A-Za-z])(?![A-Za-z]).*", Pattern.DOTALL);

    private final LanguageModel model;

    SweepRowEncoder(LanguageModel model) {
        this.model = model;
    }

    /** The row scoring {@code continuation} after {@code prompt}, with the next-token distribution when asked. */
    ScoringRows.Row continuation(String prompt, String continuation, boolean withDistribution, int item,
                                 String what) {
        ContinuationTokens t = split(prompt, continuation, what);
        long[] p = t.prompt();
        long[] c = t.continuation();
        long[] all = t.all();
        checkLength(all.length, "eval item " + item + " (prompt + continuation)");
        int[] pos = new int[c.length];
        for (int k = 0; k < c.length; k++) {
            pos[k] = p.length - 1 + k;
        }
        return new ScoringRows.Row(all, p.length, pos, c, withDistribution ? p.length - 1 : -1);
    }

    /**
     * The A/B row: the question, a newline and the answers' shared prefix (e.g. {@code "("}), the same text
     * {@link MultipleChoiceItem#toPair()} builds up to the letter; targets are the two letters as next token.
     */
    ScoringRows.Row multipleChoice(MultipleChoiceItem item, int i) {
        Matcher m = ANSWER.matcher(item.answerMatchingBehavior());
        Matcher n = ANSWER.matcher(item.answerNotMatchingBehavior());
        if (!m.matches() || !n.matches()) {
            throw new IllegalArgumentException("multiple-choice item " + i + ": answers '"
                    + item.answerMatchingBehavior() + "' and '" + item.answerNotMatchingBehavior()
                    + "' must each start with an answer letter such as (A) or (B)");
        }
        if (!m.group(1).equals(n.group(1))) {
            throw new IllegalArgumentException("multiple-choice item " + i + ": answers '"
                    + item.answerMatchingBehavior() + "' and '" + item.answerNotMatchingBehavior()
                    + "' write their letters differently");
        }
        // The letters are scored as the tokens they are after the question and the shared prefix.
        checkChars(item.question().length() + 1L + item.answerMatchingBehavior().length(),
                "multiple-choice item " + i);
        String context = item.question() + "\n" + m.group(1);
        ContinuationTokens ta = model.tokenizer().encodeContinuation(context, m.group(2));
        ContinuationTokens tb = model.tokenizer().encodeContinuation(context, n.group(2));
        long[] a = ta.continuation();
        long[] b = tb.continuation();
        if (a.length != 1 || b.length != 1 || a[0] == b[0] || !Arrays.equals(ta.prompt(), tb.prompt())) {
            throw new IllegalArgumentException("multiple-choice item " + i + ": answer letters '" + m.group(2)
                    + "' and '" + n.group(2) + "' must be two different single tokens after '" + m.group(1) + "'");
        }
        long[] ids = ta.prompt();
        if (ids.length == 0) {
            throw new IllegalArgumentException("multiple-choice item " + i + " question encodes to no tokens");
        }
        checkLength(ids.length, "multiple-choice item " + i);
        int last = ids.length - 1;
        return new ScoringRows.Row(ids, ids.length, new int[] {last, last}, new long[] {a[0], b[0]}, last);
    }

    /** The row scoring every token of a neutral text after its first (perplexity needs at least two). */
    ScoringRows.Row neutral(String text, int i) {
        long[] ids = encode(text, "neutral text " + i);
        if (ids.length < 2) {
            throw new IllegalArgumentException("neutral text " + i + " has " + ids.length
                    + " token; perplexity needs at least two");
        }
        checkLength(ids.length, "neutral text " + i);
        int[] pos = new int[ids.length - 1];
        long[] tok = new long[ids.length - 1];
        for (int k = 0; k < pos.length; k++) {
            pos[k] = k;
            tok[k] = ids[k + 1];
        }
        return new ScoringRows.Row(ids, 1, pos, tok, -1);
    }

    private long[] encode(String text, String what) {
        checkChars(text.length(), what);
        long[] ids = model.tokenizer().encode(text);
        if (ids.length == 0) {
            throw new IllegalArgumentException(what + " encodes to no tokens");
        }
        return ids;
    }

    /**
     * Refuses a text longer than could fit the context, before tokenizing: a 50 MB neutral line used to be
     * tokenized for 83 s only to be refused for its token count.
     */
    private void checkChars(long chars, String what) {
        PromptText.checkLength(model, chars, what);
    }

    private void checkLength(int length, String what) {
        int max = model.config().contextLength();
        if (length > max) {
            throw new IllegalArgumentException(what + " has " + length + " tokens, more than the model's context of "
                    + max);
        }
    }

    /**
     * The prompt's and the continuation's tokens as the model sees them in {@code prompt + continuation}.
     *
     * @throws IllegalArgumentException when either part comes to no tokens
     */
    private ContinuationTokens split(String prompt, String continuation, String what) {
        checkChars(prompt.length() + (long) continuation.length(), what + " (prompt + continuation)");
        ContinuationTokens t = model.tokenizer().encodeContinuation(prompt, continuation);
        if (t.prompt().length == 0) {
            throw new IllegalArgumentException(what + ": the prompt encodes to no tokens: '" + prompt + "'");
        }
        if (t.continuation().length == 0) {
            throw new IllegalArgumentException(what + " encodes to no tokens: '" + continuation + "'");
        }
        return t;
    }
}
