package io.steer4j.core.vector;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Random;
import java.util.stream.IntStream;

/**
 * First principal direction of the paired differences {@code d_i = pos_i - neg_i}, for
 * {@link VectorMethod#PCA_DIFF} (differences centred first) and {@link VectorMethod#PCA_CENTER} (not centred).
 *
 * <p>Method: power iteration {@code v <- A^T (A v) / |A^T (A v)|} on the n × dim difference matrix {@code A},
 * without forming any n × n or dim × dim matrix. Each step costs {@code 2·n·dim} multiply-adds; forming the
 * n × n Gram matrix {@code A A^T} instead would cost {@code n²·dim} up front, which only pays off after more than
 * about {@code n/2} iterations, and a well-separated concept converges in tens. The start vector is a fixed-seed
 * Gaussian, so results are reproducible. Iteration stops when successive unit vectors differ by less than
 * {@value #TOLERANCE} (Euclidean), or after {@value #MAX_ITERATIONS} steps with a logged warning (a nearly tied
 * top eigenvalue, where the "first" direction is ill-defined anyway).
 */
final class PrincipalComponent {
    static final double TOLERANCE = 1e-9;
    static final int MAX_ITERATIONS = 1000;

    private static final Logger LOG = LoggerFactory.getLogger(PrincipalComponent.class);
    private static final long START_SEED = 0x5EED_5EEDL;
    /** Below this many values a parallel matrix-vector product costs more in scheduling than it saves. */
    private static final long PARALLEL_THRESHOLD = 1L << 18;

    private PrincipalComponent() {
    }

    /**
     * @param centre subtract the mean difference before finding the direction ({@code pca_diff}) or not
     *               ({@code pca_center})
     */
    static float[] compute(ActivationMatrix positives, ActivationMatrix negatives, boolean centre) {
        int n = positives.rows();
        int d = positives.dim();
        float[] p = positives.data();
        float[] q = negatives.data();
        double[] diff = new double[p.length];
        for (int k = 0; k < p.length; k++) {
            diff[k] = (double) p[k] - q[k];
        }
        double[] a = diff;
        if (centre) {
            double[] mean = new double[d];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < d; j++) {
                    mean[j] += diff[i * d + j];
                }
            }
            a = new double[diff.length];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < d; j++) {
                    a[i * d + j] = diff[i * d + j] - mean[j] / n;
                }
            }
        }
        double[] v = topRightSingularVector(a, n, d);
        if (v == null) {
            throw new IllegalArgumentException(centre
                    ? "the centred pair differences are all zero (every pair differs by the same vector, or there"
                    + " is one pair): pca_diff has no direction; use mean_difference or pca_center"
                    : "every pair difference is zero: positives and negatives have identical activations");
        }
        orient(v, diff, n, d);
        float[] out = new float[d];
        for (int j = 0; j < d; j++) {
            out[j] = (float) v[j];
        }
        return out;
    }

    /** Unit eigenvector of {@code A^T A} with the largest eigenvalue, or {@code null} if {@code A} is zero. */
    static double[] topRightSingularVector(double[] a, int n, int d) {
        Random rnd = new Random(START_SEED);
        double[] v = new double[d];
        for (int j = 0; j < d; j++) {
            v[j] = rnd.nextGaussian();
        }
        scale(v, 1 / norm(v));
        double[] u = new double[n];
        boolean parallel = (long) n * d >= PARALLEL_THRESHOLD;
        double delta = Double.NaN;
        for (int it = 0; it < MAX_ITERATIONS; it++) {
            multiply(a, n, d, v, u, parallel);
            double[] w = multiplyTransposed(a, n, d, u);
            double len = norm(w);
            if (len == 0) {
                return null;
            }
            scale(w, 1 / len);
            delta = distance(v, w);
            v = w;
            if (delta < TOLERANCE) {
                return v;
            }
        }
        LOG.warn("power iteration stopped after {} steps with step change {} (top eigenvalues nearly tied?)",
                MAX_ITERATIONS, delta);
        return v;
    }

    /**
     * Flips {@code v} so that positives project higher than negatives ({@code d_i · v > 0}) on the majority of
     * pairs, as repeng does; a tied vote is settled by the sign of {@code Σ d_i · v}.
     */
    private static void orient(double[] v, double[] diff, int n, int d) {
        int higher = 0;
        int lower = 0;
        double total = 0;
        for (int i = 0; i < n; i++) {
            double s = dot(diff, i * d, v, d);
            total += s;
            if (s > 0) {
                higher++;
            } else if (s < 0) {
                lower++;
            }
        }
        if (lower > higher || (lower == higher && total < 0)) {
            scale(v, -1);
        }
    }

    private static void multiply(double[] a, int n, int d, double[] v, double[] out, boolean parallel) {
        IntStream rows = IntStream.range(0, n);
        (parallel ? rows.parallel() : rows).forEach(i -> out[i] = dot(a, i * d, v, d));
    }

    private static double[] multiplyTransposed(double[] a, int n, int d, double[] u) {
        double[] w = new double[d];
        for (int i = 0; i < n; i++) {
            double ui = u[i];
            int base = i * d;
            for (int j = 0; j < d; j++) {
                w[j] += ui * a[base + j];
            }
        }
        return w;
    }

    /** Dot product of {@code a[offset .. offset+d)} with {@code v}; four accumulators break the add dependency chain. */
    private static double dot(double[] a, int offset, double[] v, int d) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int j = 0;
        for (; j + 3 < d; j += 4) {
            s0 += a[offset + j] * v[j];
            s1 += a[offset + j + 1] * v[j + 1];
            s2 += a[offset + j + 2] * v[j + 2];
            s3 += a[offset + j + 3] * v[j + 3];
        }
        for (; j < d; j++) {
            s0 += a[offset + j] * v[j];
        }
        return (s0 + s1) + (s2 + s3);
    }

    private static double norm(double[] x) {
        return Math.sqrt(dot(x, 0, x, x.length));
    }

    private static void scale(double[] x, double f) {
        for (int j = 0; j < x.length; j++) {
            x[j] *= f;
        }
    }

    private static double distance(double[] x, double[] y) {
        double s = 0;
        for (int j = 0; j < x.length; j++) {
            double e = x[j] - y[j];
            s += e * e;
        }
        return Math.sqrt(s);
    }
}
