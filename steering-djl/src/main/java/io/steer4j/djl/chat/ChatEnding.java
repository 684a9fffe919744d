package io.steer4j.djl.chat;

/** How a rendered conversation ends, as transformers' {@code apply_chat_template} options choose. */
public enum ChatEnding {
    /** After the last message, as the template writes it ({@code add_generation_prompt=False}). */
    NONE,
    /** With the opening of an assistant turn, so the model writes the reply ({@code add_generation_prompt=True}). */
    GENERATION_PROMPT,
    /**
     * Cut right after the final message's text, without its end-of-turn marker ({@code continue_final_message=True}):
     * the model continues that (assistant) message. repeng-style datasets read the last token of such a prefix.
     */
    CONTINUE_FINAL_MESSAGE
}
