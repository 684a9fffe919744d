package io.steer4j.cli;

import io.steer4j.core.format.VectorImportOptions;
import io.steer4j.core.format.vectorfile.VectorFiles;
import io.steer4j.core.vector.SteeringVector;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A vector file named on the command line: {@code FILE} or {@code FILE@LAYERS} ({@code @3}, {@code @2,4},
 * {@code @1-3}), the layers being for files that hold one bare direction and do not say where it goes (a
 * {@code torch.save}d tensor such as the article's {@code helpfulness_vector.pt}, or EasySteer's
 * {@code pt_direction}, placed at every listed layer); {@code FILE} may also be a folder of CAA
 * {@code vec_layer_L_MODEL.pt} files.
 *
 * @param file   the file or folder
 * @param layers the layers after {@code @}; empty when none
 */
record VectorArgument(Path file, List<Integer> layers) {
    private static final Pattern AT_LAYERS = Pattern.compile("(.+)@([0-9][0-9,.\\-]*)");

    /**
     * Splits {@code FILE@LAYERS} (unless a file with that whole name exists).
     *
     * @throws IllegalArgumentException if the layer list after {@code @} is malformed
     */
    static VectorArgument parse(Path arg) {
        Matcher m = AT_LAYERS.matcher(arg.toString());
        if (m.matches() && !Files.exists(arg)) {
            return new VectorArgument(Path.of(m.group(1)), CliSupport.parseLayers(m.group(2), -1));
        }
        return new VectorArgument(arg, List.of());
    }

    /**
     * Reads the vector by its extension ({@link VectorFiles#read(Path, VectorImportOptions)}).
     *
     * @param modelLayers the loaded model's layer count, to map layer ids counted from the end (repeng); empty when
     *                    no model is loaded
     */
    SteeringVector read(OptionalInt modelLayers) throws IOException {
        VectorImportOptions o = VectorImportOptions.defaults();
        if (!layers.isEmpty()) {
            o = o.withLayers(layers);
        }
        if (modelLayers.isPresent()) {
            o = o.withModelLayerCount(modelLayers.getAsInt());
        }
        return VectorFiles.read(file, o);
    }

    /** Whether {@code file} is a folder (a CAA layout) rather than one file. */
    boolean isFolder() {
        return Files.isDirectory(file);
    }
}
