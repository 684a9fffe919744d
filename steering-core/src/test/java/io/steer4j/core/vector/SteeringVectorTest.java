package io.steer4j.core.vector;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.SortedMap;

import static io.steer4j.core.vector.Vectors.f;
import static io.steer4j.core.vector.Vectors.layered;
import static io.steer4j.core.vector.Vectors.meta;
import static io.steer4j.core.vector.Vectors.vec;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SteeringVectorTest {
    private static final double EPS = 1e-6;

    @Test
    void constructorCopiesTheCallersArrays() {
        float[] d = {1, 2};
        SteeringVector v = new SteeringVector(Map.of(3, d), meta(2));
        d[0] = 99;
        assertArrayEquals(f(1, 2), v.direction(3));
    }

    @Test
    void directionReturnsACopy() {
        SteeringVector v = vec(3, 1, 2);
        v.direction(3)[0] = 99;
        assertArrayEquals(f(1, 2), v.direction(3));
    }

    @Test
    void directionsMapIsADeepCopy() {
        SteeringVector v = vec(3, 1, 2);
        v.directions().get(3)[1] = 99;
        assertArrayEquals(f(1, 2), v.direction(3));
    }

    @Test
    void directionOfMissingLayerListsTheLayersPresent() {
        SteeringVector v = layered(2, f(1), 5, f(1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> v.direction(3));
        assertTrue(e.getMessage().contains("layer 3") && e.getMessage().contains("[2, 5]"), e.getMessage());
    }

    @Test
    void nanIsRejectedNamingLayerAndIndex() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new SteeringVector(Map.of(4, f(0, 0, Float.NaN)), meta(3)));
        assertTrue(e.getMessage().contains("layer 4") && e.getMessage().contains("index 2"), e.getMessage());
    }

    @Test
    void infinityIsRejectedNamingLayerAndIndex() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new SteeringVector(Map.of(1, f(Float.NEGATIVE_INFINITY, 0)), meta(2)));
        assertTrue(e.getMessage().contains("layer 1") && e.getMessage().contains("index 0"), e.getMessage());
    }

    @Test
    void directionLengthMustEqualHiddenSize() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new SteeringVector(Map.of(2, f(1, 2, 3)), meta(2)));
        assertTrue(e.getMessage().contains("layer 2") && e.getMessage().contains("3")
                && e.getMessage().contains("hidden size is 2"), e.getMessage());
    }

    @Test
    void emptyVectorIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> new SteeringVector(Map.of(), meta(2)));
    }

    @Test
    void negativeLayerIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> new SteeringVector(Map.of(-1, f(1)), meta(1)));
    }

    @Test
    void layersAreAscending() {
        SteeringVector v = layered(7, f(1), 2, f(1), 4, f(1));
        assertEquals(List.of(2, 4, 7), List.copyOf(v.layers()));
    }

    @Test
    void plusAddsLayerByLayer() {
        SteeringVector sum = vec(1, 1, 2).plus(vec(1, 3, -1));
        assertArrayEquals(f(4, 1), sum.direction(1));
    }

    @Test
    void plusTakesTheUnionOfLayersTreatingMissingAsZero() {
        SteeringVector sum = layered(1, f(1, 0)).plus(layered(1, f(1, 1), 2, f(0, 1)));
        assertEquals(List.of(1, 2), List.copyOf(sum.layers()));
        assertArrayEquals(f(2, 1), sum.direction(1));
        assertArrayEquals(f(0, 1), sum.direction(2));
    }

    @Test
    void minusSubtractsLayerByLayer() {
        assertArrayEquals(f(-2, 3), vec(1, 1, 2).minus(vec(1, 3, -1)).direction(1));
    }

    @Test
    void combinationsAreMarkedComposite() {
        assertEquals("composite", vec(1, 1, 2).plus(vec(1, 3, -1)).metadata().method());
    }

    @Test
    void timesScalesEveryLayer() {
        SteeringVector v = layered(1, f(1, -2), 3, f(0.5f, 4)).times(2);
        assertArrayEquals(f(2, -4), v.direction(1));
        assertArrayEquals(f(1, 8), v.direction(3));
    }

    @Test
    void timesKeepsTheMetadata() {
        SteeringVector v = vec(1, 1, 2);
        assertEquals(v.metadata(), v.times(3).metadata());
    }

    @Test
    void timesRejectsNaN() {
        assertThrows(IllegalArgumentException.class, () -> vec(1, 1, 2).times(Double.NaN));
    }

    @Test
    void timesRejectsOverflowToInfinity() {
        assertThrows(IllegalArgumentException.class, () -> vec(1, 3e38f).times(10));
    }

    @Test
    void negateFlipsSigns() {
        assertArrayEquals(f(-1, 2), vec(1, 1, -2).negate().direction(1));
    }

    @Test
    void weightedSumWeighsEachVector() {
        // 0.5*[2,4] + 2*[1,-1] = [1,2] + [2,-2] = [3,0]
        SteeringVector v = SteeringVector.weightedSum(List.of(vec(1, 2, 4), vec(1, 1, -1)), new double[] {0.5, 2});
        assertArrayEquals(f(3, 0), v.direction(1));
    }

    @Test
    void weightedSumNeedsOneWeightPerVector() {
        assertThrows(IllegalArgumentException.class,
                () -> SteeringVector.weightedSum(List.of(vec(1, 2, 4), vec(1, 1, -1)), new double[] {1}));
    }

    @Test
    void weightedSumOfNothingIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> SteeringVector.weightedSum(List.of(), new double[0]));
    }

    @Test
    void combiningDifferentHiddenSizesNamesBoth() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> vec(1, 1, 2).plus(vec(1, 1, 2, 3)));
        assertTrue(e.getMessage().contains("2") && e.getMessage().contains("3")
                && e.getMessage().contains("hidden"), e.getMessage());
    }

    @Test
    void combiningDifferentHookPointsNamesBoth() {
        SteeringVector post = vec(1, 1, 2);
        SteeringVector pre = post.withMetadata(post.metadata().toBuilder().hookPoint("resid_pre").build());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> post.minus(pre));
        assertTrue(e.getMessage().contains("resid_post") && e.getMessage().contains("resid_pre"), e.getMessage());
    }

    @Test
    void normalizedGivesUnitNormPerLayer() {
        SteeringVector v = layered(1, f(3, 4), 2, f(0, -2)).normalized();
        assertArrayEquals(f(0.6f, 0.8f), v.direction(1), 1e-7f);
        assertArrayEquals(f(0, -1), v.direction(2), 1e-7f);
    }

    @Test
    void normalizingAZeroLayerNamesIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> layered(1, f(3, 4), 6, f(0, 0)).normalized());
        assertTrue(e.getMessage().contains("layer 6") && e.getMessage().contains("zero norm"), e.getMessage());
    }

    @Test
    void normIsEuclidean() {
        assertEquals(5.0, vec(1, 3, -4).norm(1), EPS);
    }

    @Test
    void normsListsEveryLayer() {
        SortedMap<Integer, Double> norms = layered(1, f(3, 4), 2, f(1, 0)).norms();
        assertEquals(Map.of(1, 5.0, 2, 1.0), norms);
    }

    @Test
    void cosineOfPerpendicularAndDiagonal() {
        SteeringVector x = vec(1, 1, 0);
        assertEquals(1 / Math.sqrt(2), x.cosine(vec(1, 2, 2), 1), EPS);
        assertEquals(0.0, x.cosine(vec(1, 0, 5), 1), EPS);
        assertEquals(-1.0, x.cosine(vec(1, -3, 0), 1), EPS);
    }

    @Test
    void cosineNeedsTheLayerInBothVectors() {
        assertThrows(IllegalArgumentException.class, () -> vec(1, 1, 0).cosine(vec(2, 1, 0), 1));
    }

    @Test
    void cosineWithAZeroDirectionIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> vec(1, 1, 0).cosine(vec(1, 0, 0), 1));
    }

    @Test
    void restrictToKeepsTheInclusiveRange() {
        SteeringVector v = layered(1, f(1), 2, f(2), 3, f(3), 4, f(4)).restrictTo(2, 3);
        assertEquals(List.of(2, 3), List.copyOf(v.layers()));
        assertArrayEquals(f(3), v.direction(3));
    }

    @Test
    void restrictToARangeWithoutLayersIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> layered(1, f(1), 2, f(2)).restrictTo(5, 9));
    }

    @Test
    void restrictToAnInvertedRangeIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> layered(1, f(1), 2, f(2)).restrictTo(2, 1));
    }

    @Test
    void equalVectorsAreEqual() {
        assertEquals(vec(1, 1, 2), vec(1, 1, 2));
        assertEquals(vec(1, 1, 2).hashCode(), vec(1, 1, 2).hashCode());
        assertNotEquals(vec(1, 1, 2), vec(1, 1, 3));
        assertFalse(vec(1, 1, 2).equals(vec(2, 1, 2)));
    }
}
