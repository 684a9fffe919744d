package io.steer4j.spark;

/**
 * An executor could not load the model. Its message names the executor's host, the model reference and the
 * loader's own message (missing folder, unknown Hugging Face id, corrupt weights ...), and Spark reports it as the
 * cause of the failed job.
 */
public class ExecutorModelLoadException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what could not be loaded, where, and why
     * @param cause   the loader's exception
     */
    public ExecutorModelLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
