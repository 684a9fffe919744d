package io.steer4j.djl.generation;

/** A generation was cancelled through a {@link CancellationToken} or by interrupting its thread. */
public class GenerationCancelledException extends RuntimeException {
    /**
     * @param message which generation was cancelled and where
     */
    public GenerationCancelledException(String message) {
        super(message);
    }
}
