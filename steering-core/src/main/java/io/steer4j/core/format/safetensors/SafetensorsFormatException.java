package io.steer4j.core.format.safetensors;

import java.io.IOException;
import java.nio.file.Path;

/** A safetensors file is truncated, corrupt or inconsistent; the message names the file and the problem. */
public class SafetensorsFormatException extends IOException {
    public SafetensorsFormatException(Path file, String problem) {
        super(file + ": " + problem);
    }

    public SafetensorsFormatException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
    }
}
