package io.steer4j.core.format;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A steering-vector file (GGUF control vector or steer4j safetensors) is truncated, corrupt, or holds something
 * that is not a valid steering vector. The message names the file and the problem.
 *
 * <p>It is an {@link IOException} so that callers who already handle I/O failures handle bad files too; catch it
 * specifically to tell "the file is bad" apart from "the disk failed".
 */
public class VectorFileFormatException extends IOException {
    private final transient Path file;

    /** A problem with {@code file}, described in {@code problem}. */
    public VectorFileFormatException(Path file, String problem) {
        super(io.steer4j.core.format.MessageLimit.cap(file + ": " + problem));
        this.file = file;
    }

    /** A problem with {@code file}, described in {@code problem}, caused by {@code cause}. */
    public VectorFileFormatException(Path file, String problem, Throwable cause) {
        super(io.steer4j.core.format.MessageLimit.cap(file + ": " + problem), cause);
        this.file = file;
    }

    /** The offending file. */
    public Path file() {
        return file;
    }
}
