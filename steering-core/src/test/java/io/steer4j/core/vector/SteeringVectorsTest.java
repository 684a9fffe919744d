package io.steer4j.core.vector;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SteeringVectorsTest {
    private static ActivationMatrix rows(float[]... r) {
        return ActivationMatrix.ofRows(r);
    }

    private static float[] f(float... v) {
        return v;
    }

    @Test
    void buildsOneDirectionPerLayer() {
        Map<Integer, ActivationMatrix> pos = Map.of(2, rows(f(1, 1), f(3, 1)), 5, rows(f(0, 4), f(0, 2)));
        Map<Integer, ActivationMatrix> neg = Map.of(2, rows(f(0, 1), f(0, 1)), 5, rows(f(0, 0), f(0, 0)));
        SteeringVector v = SteeringVectors.fromActivations(pos, neg, VectorMethod.MEAN_DIFFERENCE,
                Vectors.meta(2));
        assertEquals(List.of(2, 5), List.copyOf(v.layers()));
        assertArrayEquals(f(2, 0), v.direction(2));
        assertArrayEquals(f(0, 3), v.direction(5));
    }

    @Test
    void recordsTheMethodAndDatasetSize() {
        Map<Integer, ActivationMatrix> pos = Map.of(1, rows(f(1, 0), f(2, 0), f(3, 0)));
        Map<Integer, ActivationMatrix> neg = Map.of(1, rows(f(0, 0), f(0, 0), f(0, 0)));
        VectorMetadata meta = SteeringVectors.fromActivations(pos, neg, VectorMethod.PCA_CENTER, Vectors.meta(2))
                .metadata();
        assertEquals("pca_center", meta.method());
        assertEquals(3, meta.datasetSize());
        assertEquals("test-model", meta.modelId());
    }

    @Test
    void layerSetsMustMatch() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SteeringVectors.fromActivations(Map.of(1, rows(f(1))), Map.of(2, rows(f(1))),
                        VectorMethod.MEAN_DIFFERENCE, Vectors.meta(1)));
        assertTrue(e.getMessage().contains("[1]") && e.getMessage().contains("[2]"), e.getMessage());
    }

    @Test
    void activationDimMustMatchTheMetadataNamingTheLayer() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SteeringVectors.fromActivations(Map.of(4, rows(f(1, 2))), Map.of(4, rows(f(1, 2))),
                        VectorMethod.MEAN_DIFFERENCE, Vectors.meta(3)));
        assertTrue(e.getMessage().contains("layer 4"), e.getMessage());
    }

    @Test
    void aLayerWithoutADirectionIsNamed() {
        Map<Integer, ActivationMatrix> pos = Map.of(1, rows(f(1, 0), f(2, 1)), 3, rows(f(1, 1), f(1, 1)));
        Map<Integer, ActivationMatrix> neg = Map.of(1, rows(f(0, 0), f(0, 0)), 3, rows(f(0, 0), f(0, 0)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SteeringVectors.fromActivations(pos, neg, VectorMethod.PCA_DIFF, Vectors.meta(2)));
        assertTrue(e.getMessage().startsWith("layer 3:"), e.getMessage());
    }

    @Test
    void noLayersIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> SteeringVectors.fromActivations(Map.of(), Map.of(),
                VectorMethod.MEAN_DIFFERENCE, Vectors.meta(1)));
    }
}
