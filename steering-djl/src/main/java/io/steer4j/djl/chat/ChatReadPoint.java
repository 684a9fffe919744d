package io.steer4j.djl.chat;

/**
 * Where in a chat a contrastive example is read, i.e. where its rendering ends (vectors are read at the last
 * token, {@code ReadPosition.last()}).
 */
public enum ChatReadPoint {
    /**
     * The last token of the final assistant message, continued rather than closed (repeng's read; CAA's answer
     * letter). A final assistant message with blank content reads at the assistant prefix instead.
     */
    ASSISTANT_TOKEN,
    /** The last token of the assistant prefix (the generation prompt), before the reply's first token. */
    ASSISTANT_PREFIX,
    /** The last token of the last user turn, its end-of-turn framing included. */
    END_OF_USER_TURN
}
