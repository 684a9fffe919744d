package io.steer4j.djl.generation;

/** A generation was cancelled through a {@link CancellationToken} or by interrupting its thread. */
public class GenerationCancelledException extends RuntimeException {
    public GenerationCancelledException(String message) {
        super(message);
    }
}
