package io.steer4j.core.chat;

/**
 * One message of a conversation, as Hugging Face chat templates receive it: a role ({@code system}, {@code user},
 * {@code assistant}, or any role a template accepts) and its text.
 *
 * <pre>{@code
 * List<ChatMessage> chat = List.of(
 *         ChatMessage.system("You are a support agent."),
 *         ChatMessage.user("My order never arrived."));
 * }</pre>
 *
 * @param role    the speaker, non-blank
 * @param content the text, possibly empty
 */
public record ChatMessage(String role, String content) {
    /** Role name of system prompts. */
    public static final String SYSTEM = "system";
    /** Role name of user turns. */
    public static final String USER = "user";
    /** Role name of assistant turns. */
    public static final String ASSISTANT = "assistant";

    /**
     * Checks the fields.
     *
     * @throws IllegalArgumentException when the role is null or blank or the content is null
     */
    public ChatMessage {
        if (role == null || role.isBlank()) {
            throw new IllegalArgumentException("a chat message needs a role (system, user or assistant)");
        }
        if (content == null) {
            throw new IllegalArgumentException("the content of a " + role + " message is null");
        }
    }

    /** A system prompt. */
    public static ChatMessage system(String content) {
        return new ChatMessage(SYSTEM, content);
    }

    /** A user turn. */
    public static ChatMessage user(String content) {
        return new ChatMessage(USER, content);
    }

    /** An assistant turn. */
    public static ChatMessage assistant(String content) {
        return new ChatMessage(ASSISTANT, content);
    }
}
