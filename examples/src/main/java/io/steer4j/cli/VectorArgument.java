package io.steer4j.cli;

import io.steer4j.core.format.VectorImportOptions;
import io.steer4j.core.format.vectorfile.VectorFiles;
import io.steer4j.core.vector.SteeringVector;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A vector file named on the command line: {@code FILE} or {@code FILE@LAYER}, the layer being for files that hold
 * one bare direction and do not say where it goes (a {@code torch.save}d tensor such as the article's
 * {@code helpfulness_vector.pt}); {@code FILE} may also be a folder of CAA {@code vec_layer_L_MODEL.pt} files.
 *
 * @param file  the file or folder
 * @param layer the layer after {@code @}, if any
 */
record VectorArgument(Path file, OptionalInt layer) {
    private static final Pattern AT_LAYER = Pattern.compile("(.+)@(\\d{1,6})");

    /** Splits {@code FILE@LAYER} (unless a file with that whole name exists). */
    static VectorArgument parse(Path arg) {
        Matcher m = AT_LAYER.matcher(arg.toString());
        if (m.matches() && !Files.exists(arg)) {
            return new VectorArgument(Path.of(m.group(1)), OptionalInt.of(Integer.parseInt(m.group(2))));
        }
        return new VectorArgument(arg, OptionalInt.empty());
    }

    /**
     * Reads the vector by its extension ({@link VectorFiles#read(Path, VectorImportOptions)}).
     *
     * @param modelLayers the loaded model's layer count, to map layer ids counted from the end (repeng); empty when
     *                    no model is loaded
     */
    SteeringVector read(OptionalInt modelLayers) throws IOException {
        VectorImportOptions o = VectorImportOptions.defaults();
        if (layer.isPresent()) {
            o = o.withLayer(layer.getAsInt());
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
