package io.steer4j.djl.chat;

/**
 * A chat template could not be read or rendered: a syntax error, a construct the JVM engine does not support, or a
 * {@code raise_exception(...)} call of the template itself (then {@link #raisedByTemplate()} is true and the
 * message is the template's own, as Python's {@code TemplateError} would carry it). Messages are capped at
 * {@link io.steer4j.core.format.MessageLimit}'s length.
 */
public final class ChatTemplateException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final boolean raisedByTemplate;

    /** An error found by steer4j or the engine. */
    public ChatTemplateException(String message) {
        this(message, false, null);
    }

    /** An error with its cause. */
    public ChatTemplateException(String message, Throwable cause) {
        this(message, false, cause);
    }

    ChatTemplateException(String message, boolean raisedByTemplate, Throwable cause) {
        // Capped like the format exceptions: a template's raise_exception text or a huge name must not flood logs.
        super(io.steer4j.core.format.MessageLimit.cap(message), cause);
        this.raisedByTemplate = raisedByTemplate;
    }

    /** Whether the template refused the conversation through {@code raise_exception} (e.g. roles not alternating). */
    public boolean raisedByTemplate() {
        return raisedByTemplate;
    }
}
