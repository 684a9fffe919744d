package io.steer4j.djl.hub;

/**
 * A download failure worth retrying: connection problems, truncated bodies, checksum mismatches, 5xx and 429
 * answers. {@link HubDownloader} retries the file with a backoff and reports the last one when retries run out.
 */
final class TransientFailure extends Exception {
    private static final long serialVersionUID = 1L;

    TransientFailure(String message, Throwable cause) {
        super(message, cause);
    }

    /** The exception's class and message, for a report that names what went wrong without a stack trace. */
    static String describe(Throwable e) {
        String message = e.getMessage();
        return e.getClass().getSimpleName() + (message == null || message.isBlank() ? "" : ": " + message);
    }
}
