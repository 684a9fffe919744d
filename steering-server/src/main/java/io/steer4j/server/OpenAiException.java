package io.steer4j.server;

/**
 * A request the server refuses, answered with OpenAI's error body
 * {@code {"error": {"message", "type", "param", "code"}}} and an HTTP status, as the official clients expect
 * (they raise their own typed exception from it: {@code BadRequestException}, {@code RateLimitException}, ...).
 */
public final class OpenAiException extends RuntimeException {
    private final int status;
    private final String type;
    private final String param;
    private final String code;

    /**
     * @param status  HTTP status (400, 401, 404, 413, 429, ...)
     * @param type    OpenAI's error type, e.g. {@code invalid_request_error}
     * @param param   the request field at fault, or null
     * @param code    a machine-readable code, or null
     * @param message what is wrong, for a person; never quotes the request body
     */
    public OpenAiException(int status, String type, String param, String code, String message) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    /** A 400 {@code invalid_request_error} about {@code param}. */
    public static OpenAiException invalid(String param, String message) {
        return new OpenAiException(400, "invalid_request_error", param, null, message);
    }

    /** HTTP status of the answer. */
    public int status() {
        return status;
    }

    /** OpenAI's error type. */
    public String type() {
        return type;
    }

    /** The request field at fault, or null. */
    public String param() {
        return param;
    }

    /** The machine-readable code, or null. */
    public String code() {
        return code;
    }
}
