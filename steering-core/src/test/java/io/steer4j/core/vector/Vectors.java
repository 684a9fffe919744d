package io.steer4j.core.vector;

import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

/** Small builders for test vectors; keeps each test's data visible in the test itself. */
final class Vectors {
    static final Instant CREATED = Instant.parse("2024-05-01T12:00:00Z");

    private Vectors() {
    }

    static VectorMetadata meta(int hidden) {
        return VectorMetadata.builder().modelId("test-model").hiddenSize(hidden).method("mean_difference")
                .createdAt(CREATED).build();
    }

    /** A vector with one layer. */
    static SteeringVector vec(int layer, float... values) {
        return new SteeringVector(Map.of(layer, values), meta(values.length));
    }

    /** A vector from alternating (layer, direction) arguments. */
    static SteeringVector layered(Object... layerThenDirection) {
        Map<Integer, float[]> m = new TreeMap<>();
        int hidden = 0;
        for (int i = 0; i < layerThenDirection.length; i += 2) {
            float[] d = (float[]) layerThenDirection[i + 1];
            m.put((Integer) layerThenDirection[i], d);
            hidden = d.length;
        }
        return new SteeringVector(m, meta(hidden));
    }

    static float[] f(float... values) {
        return values;
    }
}
