package io.steer4j.core.vector;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Random;
import java.util.stream.IntStream;

/**
 * First principal direction of the paired differences {@code d_i = pos_i - neg_i}, for
 * {@link VectorMethod#PCA_DIFF} (differences centred first) and {@link VectorMethod#PCA_CENTER} (not centred).
 *
 * <p>Method: the top eigenvector of {@code A^T A} for the n × dim difference matrix {@code A}, found by restarted
 * Lanczos iteration that only ever multiplies by {@code A} and {@code A^T}; no n × n Gram or dim × dim covariance
 * matrix is formed. Each product costs {@code 2·n·dim} multiply-adds; forming the Gram matrix {@code A A^T} would
 * cost {@code n²·dim} up front (4·10⁹ for 1,000 × 4,096), more than the whole iteration usually needs. Lanczos
 * rather than plain power iteration because its convergence depends on the square root of the eigenvalue gap:
 * a well-separated concept converges in one Krylov block, and even unstructured noise (nearly tied eigenvalues)
 * finishes in a few restarts instead of thousands of power steps. The start vector is a fixed-seed Gaussian,
 * so results are reproducible. It stops when the relative residual {@code |A^T A y - θ y| / θ} is below
 * {@value #TOLERANCE}, or after {@value #MAX_RESTARTS} restarts with a logged warning.
 */
final class PrincipalComponent {
    static final double TOLERANCE = 1e-9;
    static final int KRYLOV_SIZE = 40;
    static final int MAX_RESTARTS = 50;

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
        double activationEnergy = 0;
        for (int k = 0; k < p.length; k++) {
            diff[k] = (double) p[k] - q[k];
            activationEnergy += (double) p[k] * p[k] + (double) q[k] * q[k];
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
        // Differences that vary only by float32 rounding of the activations (relative error ~6e-8 each) carry no
        // direction: treat |A_centred|² <= (4·2^-24)² (|P|² + |Q|²) as zero rather than return rounding dust.
        boolean noVariance = centre && isRoundingDust(dot(a, 0, a, a.length), activationEnergy);
        double[] v = noVariance ? null : topRightSingularVector(a, n, d);
        if (v == null) {
            throw noDirection(centre);
        }
        orient(v, diff, n, d);
        float[] out = new float[d];
        for (int j = 0; j < d; j++) {
            out[j] = (float) v[j];
        }
        return out;
    }

    /**
     * Unit eigenvector of {@code M = A^T A} with the largest eigenvalue, or {@code null} if {@code A} is zero.
     * Restarted Lanczos: build an orthonormal Krylov basis {@code v, Mv, M²v, ...} of up to {@value #KRYLOV_SIZE}
     * vectors (fully re-orthogonalised, so rounding cannot create ghost eigenvalues), take the top eigenvector of
     * the small tridiagonal projection, and restart from it until its residual {@code |M y - θ y|} is below
     * {@value #TOLERANCE}{@code ·θ}.
     */
    static double[] topRightSingularVector(double[] a, int n, int d) {
        Random rnd = new Random(START_SEED);
        double[] start = new double[d];
        for (int j = 0; j < d; j++) {
            start[j] = rnd.nextGaussian();
        }
        scale(start, 1 / norm(start));
        boolean parallel = (long) n * d >= PARALLEL_THRESHOLD;
        // Not limited by n: the Krylov space of A^T A from v can exceed rank(A) by v's null-space part.
        int maxBasis = Math.min(KRYLOV_SIZE, d);
        double[] u = new double[n];
        double residual = Double.NaN;
        for (int restart = 0; restart < MAX_RESTARTS; restart++) {
            double[][] basis = new double[maxBasis + 1][];
            double[] alpha = new double[maxBasis];
            double[] beta = new double[maxBasis];
            basis[0] = start;
            double scaleEstimate = 0;
            double[] s = null;
            int m = 0;
            while (m < maxBasis) {
                multiply(a, n, d, basis[m], u, parallel);
                double[] w = multiplyTransposed(a, n, d, u);
                alpha[m] = dot(w, 0, basis[m], d);
                scaleEstimate = Math.max(scaleEstimate, Math.abs(alpha[m]));
                // Full re-orthogonalisation, twice ("twice is enough"), against every basis vector.
                for (int pass = 0; pass < 2; pass++) {
                    for (int i = 0; i <= m; i++) {
                        axpy(-dot(w, 0, basis[i], d), basis[i], w);
                    }
                }
                beta[m] = norm(w);
                m++;
                if (scaleEstimate == 0) {
                    return null;
                }
                // The small projection is cheap next to one product with A, so test convergence every step.
                s = new double[m];
                double theta = SymmetricEigen.largest(tridiagonal(alpha, beta, m), s);
                if (theta <= 0) {
                    return null;
                }
                // beta ~ 0: the Krylov space is invariant (it spans A's row space), so the Ritz vector is exact.
                boolean invariant = beta[m - 1] <= 1e-12 * scaleEstimate;
                residual = invariant ? 0 : beta[m - 1] * Math.abs(s[m - 1]) / theta;
                if (invariant || residual < TOLERANCE) {
                    return ritzVector(basis, s, m, d);
                }
                scale(w, 1 / beta[m - 1]);
                basis[m] = w;
            }
            start = ritzVector(basis, s, m, d);
        }
        LOG.warn("Lanczos stopped after {} restarts with relative residual {} (top eigenvalues nearly tied?)",
                MAX_RESTARTS, residual);
        return start;
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
        if (flips(higher, lower, total)) {
            scale(v, -1);
        }
    }

    /** Whether centred differences of squared norm {@code energy} are float32 rounding dust of the activations. */
    static boolean isRoundingDust(double energy, double activationEnergy) {
        return energy <= Math.pow(4 * 0x1p-24, 2) * activationEnergy;
    }

    /** The failure when the pairs admit no principal direction. */
    static IllegalArgumentException noDirection(boolean centre) {
        return new IllegalArgumentException(centre
                ? "the centred pair differences are all zero (every pair differs by the same vector, or there"
                + " is one pair): pca_diff has no direction; use mean_difference or pca_center"
                : "every pair difference is zero: positives and negatives have identical activations");
    }

    /** Whether the pairs' vote turns the axis round: a majority projecting lower, a tie settled by the sum. */
    static boolean flips(long higher, long lower, double total) {
        return lower > higher || (lower == higher && total < 0);
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

    private static double[][] tridiagonal(double[] alpha, double[] beta, int m) {
        double[][] t = new double[m][m];
        for (int i = 0; i < m; i++) {
            t[i][i] = alpha[i];
            if (i + 1 < m) {
                t[i][i + 1] = beta[i];
                t[i + 1][i] = beta[i];
            }
        }
        return t;
    }

    private static double[] ritzVector(double[][] basis, double[] s, int m, int d) {
        double[] y = new double[d];
        for (int i = 0; i < m; i++) {
            axpy(s[i], basis[i], y);
        }
        scale(y, 1 / norm(y));
        return y;
    }

    private static void axpy(double f, double[] x, double[] y) {
        for (int j = 0; j < y.length; j++) {
            y[j] += f * x[j];
        }
    }

    private static double norm(double[] x) {
        return Math.sqrt(dot(x, 0, x, x.length));
    }

    private static void scale(double[] x, double f) {
        for (int j = 0; j < x.length; j++) {
            x[j] *= f;
        }
    }
}
