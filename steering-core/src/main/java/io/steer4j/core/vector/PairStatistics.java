package io.steer4j.core.vector;

import java.io.Serializable;
import java.util.Objects;

/**
 * Mergeable sufficient statistics of contrastive activations at one layer, from which {@link VectorMethod}'s
 * mean-difference and PCA directions follow without keeping the activations: counts, sums of the positive and
 * negative rows, and (for the PCA methods) the scatter matrix {@code Σ_i d_i d_i^T} of the pair differences
 * {@code d_i = p_i - q_i}. Statistics of disjoint parts of a dataset combine with {@link #merge}, so the parts can
 * be computed anywhere (one per Spark partition, say) and reduced in any order.
 *
 * <p>A PCA direction needs one more pass: a principal axis has no sign, and {@link VectorMethod} orients it by a
 * majority vote of the pairs ({@code d_i · v > 0}). {@link #principalAxis} gives the unoriented axis,
 * {@link OrientationVotes} counts the votes over the pairs (mergeable too), and {@link #orient} applies them, so
 * the result is the one {@link VectorMethod#direction} computes from the full matrices, up to floating-point
 * summation order and the iterative eigen-solver's tolerance.
 *
 * <p>Mutable by design: it is an accumulator, filled row by row with {@link #addPair} and combined with
 * {@link #merge}; copying {@code dim²} doubles per row would dominate the cost. The scatter matrix holds
 * {@code dim²} doubles (4.7 MB at dim 768, 134 MB at dim 4,096), so it is only kept when asked for.
 *
 * <pre>{@code
 * PairStatistics s = PairStatistics.empty(hidden, true);
 * for (int i = 0; i < n; i++) s.addPair(pos[i], neg[i]);        // on each worker
 * PairStatistics all = s1.merge(s2);                              // on the driver
 * double[] axis = all.principalAxis(VectorMethod.PCA_DIFF);
 * float[] dir = PairStatistics.orient(axis, votes);              // votes counted in a second pass
 * }</pre>
 */
public final class PairStatistics implements Serializable {
    private static final long serialVersionUID = 1L;

    private final int dim;
    private final boolean withScatter;
    private long pairs;
    private final double[] positiveSum;
    private final double[] negativeSum;
    private final double[] differenceSum;
    /** Lower triangle (row-major, {@code i >= j}) of {@code Σ d d^T}, or null when not kept. */
    private final double[] scatter;
    /** {@code Σ |p_i|² + |q_i|²}: the scale below which a centred scatter is float32 rounding dust. */
    private double activationEnergy;

    private PairStatistics(int dim, boolean withScatter) {
        this.dim = dim;
        this.withScatter = withScatter;
        this.positiveSum = new double[dim];
        this.negativeSum = new double[dim];
        this.differenceSum = new double[dim];
        this.scatter = withScatter ? new double[dim * (dim + 1) / 2] : null;
    }

    /**
     * Empty statistics for activations of {@code dim} values.
     *
     * @param withScatter keep the scatter matrix of the differences, which the PCA methods need
     * @throws IllegalArgumentException if {@code dim} is not positive or the scatter would exceed an array
     */
    public static PairStatistics empty(int dim, boolean withScatter) {
        if (dim <= 0) {
            throw new IllegalArgumentException("dim must be positive, got " + dim);
        }
        if (withScatter && (long) dim * (dim + 1) / 2 > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a scatter matrix of dim " + dim + " does not fit in one array");
        }
        return new PairStatistics(dim, withScatter);
    }

    /** Whether {@code method} needs the scatter matrix (the paired PCA methods do). */
    public static boolean needsScatter(VectorMethod method) {
        return method == VectorMethod.PCA_DIFF || method == VectorMethod.PCA_CENTER;
    }

    /**
     * Adds one contrastive pair.
     *
     * @return this
     * @throws IllegalArgumentException if a row's length is not {@link #dim()} or it holds a NaN or infinity
     */
    public PairStatistics addPair(float[] positive, float[] negative) {
        check(positive, "positive");
        check(negative, "negative");
        double energy = 0;
        double[] d = new double[dim];
        for (int j = 0; j < dim; j++) {
            positiveSum[j] += positive[j];
            negativeSum[j] += negative[j];
            d[j] = (double) positive[j] - negative[j];
            differenceSum[j] += d[j];
            energy += (double) positive[j] * positive[j] + (double) negative[j] * negative[j];
        }
        activationEnergy += energy;
        if (withScatter) {
            int k = 0;
            for (int i = 0; i < dim; i++) {
                double di = d[i];
                for (int j = 0; j <= i; j++) {
                    scatter[k++] += di * d[j];
                }
            }
        }
        pairs++;
        return this;
    }

    /**
     * Adds the statistics of a disjoint part of the data to these.
     *
     * @return this
     * @throws IllegalArgumentException if the dims differ or only one side keeps the scatter matrix
     */
    public PairStatistics merge(PairStatistics other) {
        Objects.requireNonNull(other, "other");
        if (other.dim != dim || other.withScatter != withScatter) {
            throw new IllegalArgumentException("cannot merge statistics of dim " + other.dim
                    + (other.withScatter ? " with" : " without") + " scatter into dim " + dim
                    + (withScatter ? " with" : " without") + " scatter");
        }
        for (int j = 0; j < dim; j++) {
            positiveSum[j] += other.positiveSum[j];
            negativeSum[j] += other.negativeSum[j];
            differenceSum[j] += other.differenceSum[j];
        }
        if (withScatter) {
            for (int k = 0; k < scatter.length; k++) {
                scatter[k] += other.scatter[k];
            }
        }
        pairs += other.pairs;
        activationEnergy += other.activationEnergy;
        return this;
    }

    /** Length of each activation row. */
    public int dim() {
        return dim;
    }

    /** Pairs added so far. */
    public long pairs() {
        return pairs;
    }

    /**
     * {@link VectorMethod#MEAN_DIFFERENCE}: {@code mean(positives) - mean(negatives)}.
     *
     * @throws IllegalStateException if no pair was added
     */
    public float[] meanDifference() {
        requirePairs();
        float[] out = new float[dim];
        for (int j = 0; j < dim; j++) {
            out[j] = (float) (positiveSum[j] / pairs - negativeSum[j] / pairs);
        }
        return out;
    }

    /**
     * The unit, not yet oriented, first principal axis for {@link VectorMethod#PCA_DIFF} (centred differences)
     * or {@link VectorMethod#PCA_CENTER} (uncentred), from the scatter matrix.
     *
     * @throws IllegalArgumentException if {@code method} is not a PCA method, or the data admit no direction
     *                                  (the same conditions and messages as {@link VectorMethod#direction})
     * @throws IllegalStateException    if no pair was added or the scatter matrix was not kept
     */
    public double[] principalAxis(VectorMethod method) {
        if (!needsScatter(method)) {
            throw new IllegalArgumentException(method.id() + " is not a principal-component method");
        }
        requirePairs();
        if (!withScatter) {
            throw new IllegalStateException("these statistics were collected without the scatter matrix that "
                    + method.id() + " needs");
        }
        boolean centre = method == VectorMethod.PCA_DIFF;
        double[] full = new double[dim * dim];
        int k = 0;
        for (int i = 0; i < dim; i++) {
            for (int j = 0; j <= i; j++) {
                double s = scatter[k++];
                if (centre) {
                    s -= differenceSum[i] * differenceSum[j] / pairs;
                }
                full[i * dim + j] = s;
                full[j * dim + i] = s;
            }
        }
        double trace = 0;
        for (int i = 0; i < dim; i++) {
            trace += full[i * dim + i];
        }
        // The same rounding-dust rule as PrincipalComponent: trace of the centred scatter is |A_centred|².
        boolean noVariance = centre ? PrincipalComponent.isRoundingDust(trace, activationEnergy) : trace == 0;
        // The scatter S is symmetric positive semi-definite, so the top right singular vector of S (the top
        // eigenvector of S² = S^T S) is its top eigenvector: the Lanczos solver of the in-memory path applies as is.
        double[] v = noVariance ? null : PrincipalComponent.topRightSingularVector(full, dim, dim);
        if (v == null) {
            throw PrincipalComponent.noDirection(centre);
        }
        return v;
    }

    /**
     * Flips {@code axis} so that positives project higher than negatives on the majority of pairs, ties settled
     * by the sign of {@code Σ d_i · axis}, as {@link VectorMethod}'s PCA methods do; returns it as float32.
     */
    public static float[] orient(double[] axis, OrientationVotes votes) {
        Objects.requireNonNull(axis, "axis");
        Objects.requireNonNull(votes, "votes");
        boolean flip = PrincipalComponent.flips(votes.higher(), votes.lower(), votes.total());
        float[] out = new float[axis.length];
        for (int j = 0; j < axis.length; j++) {
            out[j] = (float) (flip ? -axis[j] : axis[j]);
        }
        return out;
    }

    private void requirePairs() {
        if (pairs == 0) {
            throw new IllegalStateException("no pairs were added: a direction needs at least one pair");
        }
    }

    private void check(float[] row, String side) {
        Objects.requireNonNull(row, side);
        if (row.length != dim) {
            throw new IllegalArgumentException(side + " activation has length " + row.length + ", expected " + dim);
        }
        for (int j = 0; j < dim; j++) {
            if (!Float.isFinite(row[j])) {
                throw new IllegalArgumentException("non-finite " + side + " activation " + row[j] + " at column " + j);
            }
        }
    }
}
