package io.steer4j.core.format.vectorfile;

import io.steer4j.core.format.VectorImportOptions;
import io.steer4j.core.format.gguf.GgufControlVector;
import io.steer4j.core.format.pytorch.CaaVectorFolder;
import io.steer4j.core.format.pytorch.TorchVectorFile;
import io.steer4j.core.format.svec.SvecFile;
import io.steer4j.core.vector.SteeringVector;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;

/**
 * Reads and writes steering vectors, choosing the format by file extension:
 * {@code .safetensors} is the steer4j format ({@link Steer4jVectorFile}, all metadata kept), {@code .gguf} a
 * llama.cpp control vector ({@link GgufControlVector}: only the directions and the model id survive, layer 0 and
 * non-{@code resid_post} vectors cannot be written) and {@code .svec} IBM activation-steering's JSON
 * ({@link SvecFile}). Read only: {@code .pt}/{@code .pth} files written by {@code torch.save}
 * ({@link TorchVectorFile}, read without executing anything) and a folder of CAA's {@code vec_layer_L_MODEL.pt}
 * files ({@link CaaVectorFolder}).
 *
 * <pre>{@code
 * VectorFiles.write(vector, Path.of("happy.safetensors"));
 * VectorFiles.write(vector.restrictTo(1, 11), Path.of("happy.gguf"));   // for llama.cpp / repeng
 * SteeringVector v = VectorFiles.read(Path.of("happy.gguf"));
 * SteeringVector caa = VectorFiles.read(Path.of("vectors/sycophancy"));            // CAA folder, one model
 * SteeringVector pt = VectorFiles.read(Path.of("helpfulness_vector.pt"),
 *         VectorImportOptions.defaults().withLayer(3));                             // a bare tensor
 * }</pre>
 */
public final class VectorFiles {
    private VectorFiles() {
    }

    /** Reads with {@link VectorImportOptions#defaults()}. */
    public static SteeringVector read(Path file) throws IOException {
        return read(file, VectorImportOptions.defaults());
    }

    /**
     * Reads a {@code .safetensors}, {@code .gguf}, {@code .svec} or {@code .pt}/{@code .pth} vector file, or a
     * folder of CAA {@code vec_layer_L_MODEL.pt} files. {@code options} supply what foreign files may leave
     * unsaid (the layer of a bare tensor, the model's layer count for ids counted from the end); steer4j and GGUF
     * files ignore them.
     *
     * @throws IllegalArgumentException                         for any other extension
     * @throws io.steer4j.core.format.VectorFileFormatException if the file is corrupt, refused or not a vector
     * @throws IOException                                      if it cannot be read
     */
    public static SteeringVector read(Path file, VectorImportOptions options) throws IOException {
        Objects.requireNonNull(options, "options");
        if (file != null && Files.isDirectory(file)) {
            return CaaVectorFolder.read(file);
        }
        return switch (format(file)) {
            case "safetensors" -> Steer4jVectorFile.read(file);
            case "svec" -> SvecFile.read(file, options);
            case "pt" -> TorchVectorFile.read(file, options);
            default -> GgufControlVector.read(file);
        };
    }

    /**
     * Writes atomically in the format named by the extension ({@code .safetensors}, {@code .gguf}, {@code .svec}).
     *
     * @throws IllegalArgumentException for any other extension, or a vector the format cannot hold
     * @throws IOException              if writing fails
     */
    public static void write(SteeringVector vector, Path file) throws IOException {
        Objects.requireNonNull(vector, "vector");
        switch (format(file)) {
            case "safetensors" -> Steer4jVectorFile.write(vector, file);
            case "svec" -> SvecFile.write(vector, file);
            case "pt" -> throw new IllegalArgumentException("steer4j reads torch.save files but does not write "
                    + "them: write .safetensors (loadable in Python with safetensors.torch.load_file) instead");
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
        if (name.endsWith(".svec")) {
            return "svec";
        }
        if (name.endsWith(".pt") || name.endsWith(".pth")) {
            return "pt";
        }
        throw new IllegalArgumentException("cannot tell the vector format of '" + file
                + "': use the extension .safetensors (steer4j), .gguf (llama.cpp control vector), .svec"
                + " (activation-steering) or .pt/.pth (torch.save, read only)");
    }
}
