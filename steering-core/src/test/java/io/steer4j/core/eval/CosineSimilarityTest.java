package io.steer4j.core.eval;

import io.steer4j.core.vector.SteeringVector;
import io.steer4j.core.vector.VectorMetadata;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CosineSimilarityTest {
    private static final double R = 1 / Math.sqrt(2);

    @Test
    void matrixOfAxesAndDiagonal() {
        double[][] m = CosineSimilarity.matrix(List.of(new float[] {1, 0}, new float[] {0, 2}, new float[] {1, 1}));
        assertArrayEquals(new double[] {1, 0, R}, m[0], 1e-12);
        assertArrayEquals(new double[] {0, 1, R}, m[1], 1e-12);
        assertArrayEquals(new double[] {R, R, 1}, m[2], 1e-12);
    }

    @Test
    void oppositeVectorsHaveMinusOne() {
        assertEquals(-1.0, CosineSimilarity.matrix(List.of(new float[] {1, 2}, new float[] {-2, -4}))[0][1], 1e-12);
    }

    @Test
    void steeringVectorsAreComparedAtOneLayer() {
        VectorMetadata meta = VectorMetadata.builder().hiddenSize(2).build();
        SteeringVector a = new SteeringVector(Map.of(3, new float[] {1, 0}, 4, new float[] {0, 1}), meta);
        SteeringVector b = new SteeringVector(Map.of(3, new float[] {1, 1}, 4, new float[] {0, 5}), meta);
        assertEquals(R, CosineSimilarity.matrix(List.of(a, b), 3)[0][1], 1e-12);
        assertEquals(1.0, CosineSimilarity.matrix(List.of(a, b), 4)[0][1], 1e-12);
    }

    @Test
    void zeroVectorIsRejectedNamingIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CosineSimilarity.matrix(List.of(new float[] {1, 0}, new float[] {0, 0})));
        assertTrue(e.getMessage().contains("vector 1"), e.getMessage());
    }

    @Test
    void aPairWithAZeroVectorIsRejectedRatherThanScoredZero() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CosineSimilarity.of(new float[] {0, 0}, new float[] {1, 0}));
        assertTrue(e.getMessage().contains("zero norm"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CosineSimilarity.of(new float[] {1, 0}, new float[2]));
    }

    @Test
    void lengthsMustMatch() {
        assertThrows(IllegalArgumentException.class,
                () -> CosineSimilarity.matrix(List.of(new float[] {1, 0}, new float[] {1})));
    }
}
