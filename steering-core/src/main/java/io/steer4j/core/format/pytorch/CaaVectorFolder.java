package io.steer4j.core.format.pytorch;

import io.steer4j.core.format.VectorFileFormatException;
import io.steer4j.core.format.VectorImportOptions;
import io.steer4j.core.vector.SteeringVector;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A folder of CAA vectors ({@code vectors/{behavior}/vec_layer_{L}_{model}.pt}, one bare tensor per layer and
 * model, as nrimsky/CAA writes them) read as one multi-layer steering vector. CAA adds the vector of layer L to the
 * output of decoder block L, which is steer4j's {@code resid_post(L)}: layers carry over unchanged.
 *
 * <pre>{@code
 * SteeringVector sycophancy = CaaVectorFolder.read(Path.of("vectors/sycophancy"), "Llama-2-7b-chat-hf");
 * }</pre>
 */
public final class CaaVectorFolder {
    /** CAA's file name: {@code vec_layer_{L}_{model}.pt}; group 1 the layer, group 2 the model. */
    public static final Pattern FILE_NAME = Pattern.compile("vec_layer_(\\d{1,6})_(.+)\\.pt");

    private CaaVectorFolder() {
    }

    /**
     * Reads every {@code vec_layer_L_MODEL.pt} in {@code dir}, which must all be for one model.
     *
     * @throws VectorFileFormatException if there are none, they are for several models (the message lists them),
     *                                   or a file is refused
     */
    public static SteeringVector read(Path dir) throws IOException {
        return read(dir, null);
    }

    /**
     * Reads the {@code vec_layer_L_MODEL.pt} files of {@code model} in {@code dir} (all models when {@code null},
     * which must then be one).
     */
    public static SteeringVector read(Path dir, String model) throws IOException {
        Objects.requireNonNull(dir, "dir");
        TreeMap<Integer, Path> files = new TreeMap<>();
        TreeSet<String> models = new TreeSet<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Matcher m = FILE_NAME.matcher(p.getFileName().toString());
                if (m.matches() && (model == null || model.equals(m.group(2)))) {
                    models.add(m.group(2));
                    files.put(Integer.parseInt(m.group(1)), p);
                }
            }
        }
        if (files.isEmpty()) {
            throw new VectorFileFormatException(dir, "no vec_layer_L_" + (model == null ? "MODEL" : model)
                    + ".pt files (CAA's layout)");
        }
        if (models.size() > 1) {
            throw new VectorFileFormatException(dir, "holds CAA vectors for several models " + models
                    + "; choose one");
        }
        List<SteeringVector> layers = new ArrayList<>();
        for (var e : files.entrySet()) {
            layers.add(TorchVectorFile.read(e.getValue(), VectorImportOptions.defaults().withLayer(e.getKey())
                    .withModelId(models.first())));
        }
        TreeMap<Integer, float[]> directions = new TreeMap<>();
        int hidden = layers.get(0).hiddenSize();
        for (SteeringVector v : layers) {
            if (v.hiddenSize() != hidden) {
                throw new VectorFileFormatException(dir, "layer " + v.layers().first() + " has hidden size "
                        + v.hiddenSize() + " but layer " + layers.get(0).layers().first() + " has " + hidden);
            }
            directions.putAll(v.directions());
        }
        return new SteeringVector(directions, layers.get(0).metadata().toBuilder()
                .note("source_layout", "CAA folder vec_layer_L_" + models.first() + ".pt")
                .build());
    }
}
