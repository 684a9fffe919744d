package io.steer4j.core.vector;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VectorMethodTest {
    private static ActivationMatrix rows(float[]... r) {
        return ActivationMatrix.ofRows(r);
    }

    private static float[] f(float... v) {
        return v;
    }

    /** Positives = negatives + the given differences, with nonzero negatives so only differences can matter. */
    private static ActivationMatrix[] pairsWithDifferences(float[]... diffs) {
        float[][] neg = new float[diffs.length][];
        float[][] pos = new float[diffs.length][];
        for (int i = 0; i < diffs.length; i++) {
            neg[i] = new float[diffs[i].length];
            pos[i] = new float[diffs[i].length];
            for (int j = 0; j < diffs[i].length; j++) {
                neg[i][j] = 10 * i - 3 * j + 1;
                pos[i][j] = neg[i][j] + diffs[i][j];
            }
        }
        return new ActivationMatrix[] {rows(pos), rows(neg)};
    }

    @Test
    void meanDifferenceSubtractsTheMeans() {
        // mean(pos) = [2, 3]; mean(neg) = [1, 1]
        float[] d = VectorMethod.MEAN_DIFFERENCE.direction(rows(f(1, 2), f(3, 4)), rows(f(0, 0), f(2, 2), f(1, 1)));
        assertArrayEquals(f(1, 2), d, 1e-7f);
    }

    @Test
    void pcaCenterIsTheTopEigenvectorOfTheUncentredDifferences() {
        // d = [2,1], [2,-1], [2,3]: Σ d dᵀ = [[12, 6], [6, 11]], λ1 = (23 + √145)/2, v ∝ [6, λ1 - 12]
        ActivationMatrix[] pn = pairsWithDifferences(f(2, 1), f(2, -1), f(2, 3));
        double l1 = (23 + Math.sqrt(145)) / 2;
        double x = 6;
        double y = l1 - 12;
        double n = Math.hypot(x, y);
        float[] d = VectorMethod.PCA_CENTER.direction(pn[0], pn[1]);
        assertArrayEquals(f((float) (x / n), (float) (y / n)), d, 1e-6f);
    }

    @Test
    void pcaDiffCentresTheDifferencesFirst() {
        // d = [2,1], [2,-1], [2,3]; mean [2,1]; centred [0,0], [0,-2], [0,2]: the component is the y axis,
        // oriented up because d·[0,1] = 1, -1, 3 is positive for two of three pairs.
        ActivationMatrix[] pn = pairsWithDifferences(f(2, 1), f(2, -1), f(2, 3));
        assertArrayEquals(f(0, 1), VectorMethod.PCA_DIFF.direction(pn[0], pn[1]), 1e-6f);
    }

    @Test
    void pcaSignFollowsTheMajorityOfPairsNotTheMean() {
        // d = [1,0], [1,0], [-5,0]: the mean difference points to -x, but two of three pairs project higher on +x.
        ActivationMatrix[] pn = pairsWithDifferences(f(1, 0), f(1, 0), f(-5, 0));
        assertArrayEquals(f(1, 0), VectorMethod.PCA_CENTER.direction(pn[0], pn[1]), 1e-6f);
    }

    @Test
    void pcaTiedVoteFollowsTheSumOfProjections() {
        // d = [1,0], [-3,0]: one pair each way; Σ d·x = -2, so the direction is -x.
        ActivationMatrix[] pn = pairsWithDifferences(f(1, 0), f(-3, 0));
        assertArrayEquals(f(-1, 0), VectorMethod.PCA_CENTER.direction(pn[0], pn[1]), 1e-6f);
    }

    @Test
    void pcaCenterOfOnePairIsItsUnitDifference() {
        // d = [3, 0, 4] → [0.6, 0, 0.8]
        ActivationMatrix[] pn = pairsWithDifferences(f(3, 0, 4));
        assertArrayEquals(f(0.6f, 0, 0.8f), VectorMethod.PCA_CENTER.direction(pn[0], pn[1]), 1e-6f);
    }

    @Test
    void pcaDiffOfIdenticalDifferencesHasNoDirection() {
        // 0.1 is not exact in binary, so centring leaves rounding dust that must not pass for a direction.
        ActivationMatrix[] pn = pairsWithDifferences(f(0.1f, 0.7f), f(0.1f, 0.7f), f(0.1f, 0.7f));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> VectorMethod.PCA_DIFF.direction(pn[0], pn[1]));
        assertTrue(e.getMessage().contains("pca_diff"), e.getMessage());
    }

    @Test
    void pairedMethodsNeedEqualRowCounts() {
        assertThrows(IllegalArgumentException.class,
                () -> VectorMethod.PCA_DIFF.direction(rows(f(1, 2), f(3, 4)), rows(f(1, 2))));
    }

    @Test
    void hiddenSizesMustAgree() {
        assertThrows(IllegalArgumentException.class,
                () -> VectorMethod.MEAN_DIFFERENCE.direction(rows(f(1, 2)), rows(f(1, 2, 3))));
    }

    @Test
    void logisticRegressionFindsTheOnlySeparatingAxis() {
        // Classes differ only along x; the y column is constant, so w_y stays 0 and w/|w| = [1, 0].
        float[] d = VectorMethod.LOGISTIC_REGRESSION.direction(rows(f(1, 5), f(2, 5)), rows(f(-1, 5), f(-2, 5)));
        assertArrayEquals(f(1, 0), d, 1e-6f);
    }

    @Test
    void logisticRegressionRecoversAPlantedDirection() {
        int n = 200;
        int dim = 20;
        double[] u = plantedUnit(dim, 7);
        Random rnd = new Random(3);
        float[] pos = new float[n * dim];
        float[] neg = new float[n * dim];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < dim; j++) {
                pos[i * dim + j] = (float) (rnd.nextGaussian() + 2 * u[j]);
                neg[i * dim + j] = (float) (rnd.nextGaussian() - 2 * u[j]);
            }
        }
        float[] d = VectorMethod.LOGISTIC_REGRESSION.direction(new ActivationMatrix(n, dim, pos),
                new ActivationMatrix(n, dim, neg));
        assertTrue(cosine(d, u) > 0.95, "cosine " + cosine(d, u));
    }

    /**
     * 1,000 pairs × 4,096 dims: d_i = s_i·u + noise with s_i = 3 + 2·N(0,1) and noise N(0, 0.1²) per unit,
     * on top of a random shared baseline. Both PCA methods must recover +u; the mean difference ≈ 3u.
     */
    @Test
    void pcaMethodsRecoverAPlantedDirectionAtModelScale() {
        int n = 1000;
        int dim = 4096;
        double[] u = plantedUnit(dim, 11);
        Random rnd = new Random(5);
        float[] pos = new float[n * dim];
        float[] neg = new float[n * dim];
        for (int i = 0; i < n; i++) {
            double s = 3 + 2 * rnd.nextGaussian();
            for (int j = 0; j < dim; j++) {
                double base = rnd.nextGaussian();
                neg[i * dim + j] = (float) base;
                pos[i * dim + j] = (float) (base + s * u[j] + 0.1 * rnd.nextGaussian());
            }
        }
        ActivationMatrix p = new ActivationMatrix(n, dim, pos);
        ActivationMatrix q = new ActivationMatrix(n, dim, neg);
        assertTrue(cosine(VectorMethod.PCA_DIFF.direction(p, q), u) > 0.99);
        assertTrue(cosine(VectorMethod.PCA_CENTER.direction(p, q), u) > 0.99);
        assertTrue(cosine(VectorMethod.MEAN_DIFFERENCE.direction(p, q), u) > 0.99);
    }

    @Test
    void parseAcceptsIdsAndListsThemOnError() {
        assertEquals(VectorMethod.PCA_CENTER, VectorMethod.parse("pca_center"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> VectorMethod.parse("pca"));
        assertTrue(e.getMessage().contains("mean_difference, pca_diff, pca_center, logistic_regression"),
                e.getMessage());
    }

    private static double[] plantedUnit(int dim, long seed) {
        Random r = new Random(seed);
        double[] u = new double[dim];
        double s = 0;
        for (int j = 0; j < dim; j++) {
            u[j] = r.nextGaussian();
            s += u[j] * u[j];
        }
        for (int j = 0; j < dim; j++) {
            u[j] /= Math.sqrt(s);
        }
        return u;
    }

    private static double cosine(float[] a, double[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int j = 0; j < a.length; j++) {
            dot += a[j] * b[j];
            na += (double) a[j] * a[j];
            nb += b[j] * b[j];
        }
        return dot / Math.sqrt(na * nb);
    }
}
