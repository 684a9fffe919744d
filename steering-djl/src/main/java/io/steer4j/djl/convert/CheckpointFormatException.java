package io.steer4j.djl.convert;

/**
 * A checkpoint that cannot be imported: a corrupt or unsupported file, named with the position of the problem.
 */
public final class CheckpointFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message names the file and what is wrong there */
    public CheckpointFormatException(String message) {
        super(message);
    }

    /** @param message names the file and what is wrong there */
    public CheckpointFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
