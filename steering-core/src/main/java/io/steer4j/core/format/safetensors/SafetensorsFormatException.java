package io.steer4j.core.format.safetensors;

import java.io.IOException;
import java.nio.file.Path;

/** A safetensors file is truncated, corrupt or inconsistent; the message names the file and the problem. */
public class SafetensorsFormatException extends IOException {
    /**
     * @param file    the file concerned
     * @param problem what is wrong with it
     */
    public SafetensorsFormatException(Path file, String problem) {
        super(io.steer4j.core.format.MessageLimit.cap(file + ": " + problem));
    }

    /**
     * @param file    the file concerned
     * @param problem what is wrong with it
     * @param cause   the underlying failure
     */
    public SafetensorsFormatException(Path file, String problem, Throwable cause) {
        super(io.steer4j.core.format.MessageLimit.cap(file + ": " + problem), cause);
    }
}
