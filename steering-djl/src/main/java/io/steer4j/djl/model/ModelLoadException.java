package io.steer4j.djl.model;

/** A model folder is missing files, holds an unsupported architecture, or its config does not match its weights. */
public class ModelLoadException extends RuntimeException {
    public ModelLoadException(String message) {
        super(message);
    }

    public ModelLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
