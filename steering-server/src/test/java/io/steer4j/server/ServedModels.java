package io.steer4j.server;

import io.steer4j.core.format.vectorfile.VectorFiles;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.core.vector.VectorMetadata;
import io.steer4j.djl.model.LanguageModel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Test helper: the real stories260k (required: it is in the repository's shared models, so its tests never skip)
 * and vector folders of seeded random directions for a model.
 */
final class ServedModels {
    private ServedModels() {
    }

    /** {@code shared/models/stories260k}, searched upwards from the working directory or in $STEER4J_MODELS. */
    static Path stories260k() {
        String env = System.getenv("STEER4J_MODELS");
        if (env != null && Files.isRegularFile(Path.of(env, "stories260k", "config.json"))) {
            return Path.of(env, "stories260k");
        }
        Path dir = Path.of("").toAbsolutePath();
        for (int up = 0; up < 4 && dir != null; up++, dir = dir.getParent()) {
            for (Path p : new Path[] {dir.resolve("shared/models/stories260k"),
                    dir.resolve("../shared/models/stories260k").normalize()}) {
                if (Files.isRegularFile(p.resolve("config.json"))) {
                    return p;
                }
            }
        }
        throw new IllegalStateException("stories260k not found in ../shared/models or $STEER4J_MODELS; the server "
                + "tests need the real checkpoint");
    }

    /**
     * Writes {@code names.length} vectors of seeded random unit directions (every layer but 0) into {@code dir}.
     */
    static Path writeVectors(Path dir, LanguageModel model, String... names) {
        try {
            Files.createDirectories(dir);
            for (int i = 0; i < names.length; i++) {
                VectorFiles.write(randomVector(model, 1000 + i), dir.resolve(names[i] + ".safetensors"));
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static SteeringVector randomVector(LanguageModel model, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Map<Integer, float[]> dirs = new LinkedHashMap<>();
        for (int layer = 1; layer < model.numLayers(); layer++) {
            float[] v = new float[model.hiddenSize()];
            double n = 0;
            for (int j = 0; j < v.length; j++) {
                v[j] = (float) r.nextGaussian();
                n += v[j] * v[j];
            }
            for (int j = 0; j < v.length; j++) {
                v[j] /= (float) Math.sqrt(n);
            }
            dirs.put(layer, v);
        }
        return new SteeringVector(dirs, new VectorMetadata(model.modelId(), model.hiddenSize(), "resid_post",
                VectorMetadata.STEER4J_LAYER_NUMBERING, "random", "", 0, null, Map.of()));
    }
}
