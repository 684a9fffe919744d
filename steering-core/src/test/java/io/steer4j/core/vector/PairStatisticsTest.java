package io.steer4j.core.vector;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PairStatisticsTest {
    private static final int N = 40;
    private static final int DIM = 24;

    /** Pairs whose differences share one strong direction plus noise, so the principal axis is well defined. */
    private static float[][][] pairs(long seed) {
        Random r = new Random(seed);
        float[] concept = new float[DIM];
        for (int j = 0; j < DIM; j++) {
            concept[j] = (float) r.nextGaussian();
        }
        float[][] p = new float[N][DIM];
        float[][] q = new float[N][DIM];
        for (int i = 0; i < N; i++) {
            double amount = 1 + r.nextGaussian() * 0.5;
            for (int j = 0; j < DIM; j++) {
                q[i][j] = (float) r.nextGaussian();
                p[i][j] = (float) (q[i][j] + amount * concept[j] + 0.2 * r.nextGaussian());
            }
        }
        return new float[][][] {p, q};
    }

    /** Statistics of the first {@code split} pairs merged with those of the rest. */
    private static PairStatistics splitAndMerge(float[][][] data, int split, boolean scatter) {
        PairStatistics a = PairStatistics.empty(DIM, scatter);
        PairStatistics b = PairStatistics.empty(DIM, scatter);
        for (int i = 0; i < N; i++) {
            (i < split ? a : b).addPair(data[0][i], data[1][i]);
        }
        return a.merge(b);
    }

    private static OrientationVotes votes(float[][][] data, double[] axis) {
        OrientationVotes v = OrientationVotes.NONE;
        for (int i = 0; i < N; i++) {
            v = v.plus(OrientationVotes.of(data[0][i], data[1][i], axis));
        }
        return v;
    }

    private static void assertClose(float[] expected, float[] actual, double tol) {
        for (int j = 0; j < expected.length; j++) {
            assertEquals(expected[j], actual[j], tol, "column " + j);
        }
    }

    @Test
    void mergedMeanDifferenceEqualsTheInMemoryMethod() {
        float[][][] d = pairs(1);
        float[] expected = VectorMethod.MEAN_DIFFERENCE.direction(ActivationMatrix.ofRows(d[0]),
                ActivationMatrix.ofRows(d[1]));
        assertClose(expected, splitAndMerge(d, 13, false).meanDifference(), 1e-6);
    }

    @Test
    void mergedPcaDiffEqualsTheInMemoryMethodIncludingItsSign() {
        float[][][] d = pairs(2);
        float[] expected = VectorMethod.PCA_DIFF.direction(ActivationMatrix.ofRows(d[0]), ActivationMatrix.ofRows(d[1]));
        double[] axis = splitAndMerge(d, 7, true).principalAxis(VectorMethod.PCA_DIFF);
        assertClose(expected, PairStatistics.orient(axis, votes(d, axis)), 1e-6);
    }

    @Test
    void mergedPcaCenterEqualsTheInMemoryMethodIncludingItsSign() {
        float[][][] d = pairs(3);
        float[] expected = VectorMethod.PCA_CENTER.direction(ActivationMatrix.ofRows(d[0]),
                ActivationMatrix.ofRows(d[1]));
        double[] axis = splitAndMerge(d, 29, true).principalAxis(VectorMethod.PCA_CENTER);
        assertClose(expected, PairStatistics.orient(axis, votes(d, axis)), 1e-6);
    }

    @Test
    void orientationFlipsAnAxisThatMostPairsProjectBelow() {
        float[][][] d = pairs(4);
        double[] axis = splitAndMerge(d, 20, true).principalAxis(VectorMethod.PCA_CENTER);
        double[] flipped = axis.clone();
        for (int j = 0; j < DIM; j++) {
            flipped[j] = -flipped[j];
        }
        float[] a = PairStatistics.orient(axis, votes(d, axis));
        float[] b = PairStatistics.orient(flipped, votes(d, flipped));
        assertClose(a, b, 0);
    }

    @Test
    void pcaDiffOfPairsThatAllDifferByTheSameVectorIsRefused() {
        PairStatistics s = PairStatistics.empty(2, true);
        s.addPair(new float[] {1, 2}, new float[] {0, 0});
        s.addPair(new float[] {3, 4}, new float[] {2, 2});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> s.principalAxis(VectorMethod.PCA_DIFF));
        assertTrue(e.getMessage().contains("centred pair differences are all zero"), e.getMessage());
    }

    @Test
    void mergingStatisticsOfDifferentDimsIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PairStatistics.empty(3, false).merge(PairStatistics.empty(4, false)));
        assertTrue(e.getMessage().contains("dim 4"), e.getMessage());
    }

    @Test
    void aDirectionFromNoPairsIsRefused() {
        assertThrows(IllegalStateException.class, () -> PairStatistics.empty(3, false).meanDifference());
    }

    @Test
    void aRowOfTheWrongLengthIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PairStatistics.empty(3, false).addPair(new float[3], new float[2]));
        assertTrue(e.getMessage().contains("negative activation has length 2"), e.getMessage());
    }
}
