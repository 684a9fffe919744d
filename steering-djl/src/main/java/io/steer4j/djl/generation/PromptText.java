package io.steer4j.djl.generation;

import io.steer4j.djl.model.LanguageModel;

/**
 * Turns a text prompt into token ids, refusing by its length <em>before</em> tokenizing a text that could not fit
 * the model's context anyway: no token of a supported vocabulary spans more than {@link #MAX_CHARS_PER_TOKEN}
 * characters, so a longer text than {@code contextLength × MAX_CHARS_PER_TOKEN} is refused at once (a 50 MB text
 * used to be tokenized for over a minute before its token count was checked).
 *
 * <pre>{@code
 * long[] ids = PromptText.encode(model, prompt, "prompt");
 * }</pre>
 */
public final class PromptText {
    /** Characters per token no supported vocabulary exceeds (128). */
    public static final int MAX_CHARS_PER_TOKEN = 128;

    private PromptText() {
    }

    /**
     * The longest text, in characters, that could fit in the model's context.
     *
     * @param model the model
     * @return {@code contextLength × MAX_CHARS_PER_TOKEN}, capped at {@link Integer#MAX_VALUE}
     */
    public static int maxChars(LanguageModel model) {
        return (int) Math.min(Integer.MAX_VALUE, (long) model.config().contextLength() * MAX_CHARS_PER_TOKEN);
    }

    /**
     * Refuses a text longer than {@link #maxChars}, without tokenizing it.
     *
     * @param model the model
     * @param chars the text's length in characters
     * @param what  what the message calls the text ({@code "prompt 2"})
     * @throws IllegalArgumentException naming the text, its length and the limit
     */
    public static void checkLength(LanguageModel model, long chars, String what) {
        int max = maxChars(model);
        if (chars > max) {
            throw new IllegalArgumentException(what + " is " + chars + " characters long, more than the " + max
                    + " that can fit the model's context of " + model.config().contextLength()
                    + " tokens (refused before tokenizing)");
        }
    }

    /**
     * The text's token ids as {@code model.tokenizer().encode(text)} gives them, after {@link #checkLength}.
     *
     * @param model the model
     * @param text  the text
     * @param what  what a message calls the text
     * @return the ids
     */
    public static long[] encode(LanguageModel model, String text, String what) {
        checkLength(model, text.length(), what);
        return model.tokenizer().encode(text);
    }
}
