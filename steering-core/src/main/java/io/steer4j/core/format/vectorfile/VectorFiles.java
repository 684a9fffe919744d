package io.steer4j.core.format.vectorfile;

import io.steer4j.core.format.gguf.GgufControlVector;
import io.steer4j.core.vector.SteeringVector;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;

/**
 * Reads and writes steering vectors, choosing the format by file extension:
 * {@code .safetensors} is the steer4j format ({@link Steer4jVectorFile}, all metadata kept) and {@code .gguf} a
 * llama.cpp control vector ({@link GgufControlVector}: only the directions and the model id survive, layer 0 and
 * non-{@code resid_post} vectors cannot be written).
 *
 * <pre>{@code
 * VectorFiles.write(vector, Path.of("happy.safetensors"));
 * VectorFiles.write(vector.restrictTo(1, 11), Path.of("happy.gguf"));   // for llama.cpp / repeng
 * SteeringVector v = VectorFiles.read(Path.of("happy.gguf"));
 * }</pre>
 */
public final class VectorFiles {
    private VectorFiles() {
    }

    /**
     * Reads a {@code .safetensors} or {@code .gguf} vector file.
     *
     * @throws IllegalArgumentException                             for any other extension
     * @throws io.steer4j.core.format.VectorFileFormatException if the file is corrupt or not a vector
     * @throws IOException                                          if it cannot be read
     */
    public static SteeringVector read(Path file) throws IOException {
        return switch (format(file)) {
            case "safetensors" -> Steer4jVectorFile.read(file);
            default -> GgufControlVector.read(file);
        };
    }

    /**
     * Writes atomically in the format named by the extension.
     *
     * @throws IllegalArgumentException for any other extension, or a vector the format cannot hold
     * @throws IOException              if writing fails
     */
    public static void write(SteeringVector vector, Path file) throws IOException {
        Objects.requireNonNull(vector, "vector");
        switch (format(file)) {
            case "safetensors" -> Steer4jVectorFile.write(vector, file);
            default -> GgufControlVector.write(vector, file);
        }
    }

    private static String format(Path file) {
        Objects.requireNonNull(file, "file");
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".safetensors")) {
            return "safetensors";
        }
        if (name.endsWith(".gguf")) {
            return "gguf";
        }
        throw new IllegalArgumentException("cannot tell the vector format of '" + file
                + "': use the extension .safetensors (steer4j) or .gguf (llama.cpp control vector)");
    }
}
