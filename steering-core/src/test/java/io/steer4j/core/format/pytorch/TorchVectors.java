package io.steer4j.core.format.pytorch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * The golden files src-test-fixtures/python/write_torch_vectors.py wrote with PyTorch, and the values PyTorch
 * holds in them ({@code expected.json}).
 */
final class TorchVectors {
    private TorchVectors() {
    }

    static Path file(String name) {
        try {
            return Path.of(TorchVectors.class.getResource("/torch-vectors/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("missing test resource torch-vectors/" + name, e);
        }
    }

    /** PyTorch's values for {@code name}, by the file's own layer id (-1 for a bare tensor). */
    static Map<Integer, float[]> expected(String name) {
        try {
            JsonNode all = new ObjectMapper().readTree(file("expected.json").toFile());
            JsonNode layers = all.get(name).get("layers");
            Map<Integer, float[]> out = new TreeMap<>();
            layers.fields().forEachRemaining(e -> {
                float[] v = new float[e.getValue().size()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) e.getValue().get(i).doubleValue();
                }
                out.put(Integer.parseInt(e.getKey()), v);
            });
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static float[] expectedBare(String name) {
        return expected(name).get(-1);
    }
}
