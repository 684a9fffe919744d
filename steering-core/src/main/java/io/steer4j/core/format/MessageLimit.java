package io.steer4j.core.format;

/**
 * The length cap on exception messages about untrusted input. A message is read by a person and often logged; a
 * crafted file once produced a 90 MB one-line message (a shape of 30 million dimensions printed back), so every
 * format exception cuts its message at {@link #MAX_CHARS} and says how much it left out.
 *
 * <pre>{@code
 * super(MessageLimit.cap(file + ": " + problem));
 * }</pre>
 */
public final class MessageLimit {
    /** Longest message kept whole (2,000 characters). */
    public static final int MAX_CHARS = 2000;

    private MessageLimit() {
    }

    /**
     * The message, cut at {@link #MAX_CHARS} characters with a note of the length left out.
     *
     * @param message the message (null stays null)
     * @return the message itself when short enough
     */
    public static String cap(String message) {
        if (message == null || message.length() <= MAX_CHARS) {
            return message;
        }
        return message.substring(0, MAX_CHARS) + "... (" + (message.length() - MAX_CHARS) + " more characters cut)";
    }
}
