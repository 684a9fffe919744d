package io.steer4j.djl.model;

/** A model folder is missing files, holds an unsupported architecture, or its config does not match its weights. */
public class ModelLoadException extends RuntimeException {
    /**
     * @param message what could not be loaded and why
     */
    public ModelLoadException(String message) {
        super(io.steer4j.core.format.MessageLimit.cap(message));
    }

    /**
     * @param message what could not be loaded and why
     * @param cause   the underlying failure
     */
    public ModelLoadException(String message, Throwable cause) {
        super(io.steer4j.core.format.MessageLimit.cap(message), cause);
    }
}
