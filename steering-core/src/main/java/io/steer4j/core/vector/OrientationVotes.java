package io.steer4j.core.vector;

import java.io.Serializable;
import java.util.Objects;

/**
 * The pairs' vote on the sign of a principal axis {@code v}: how many pairs have {@code d_i · v > 0} ({@code higher})
 * or {@code < 0} ({@code lower}), and {@code Σ d_i · v} for ties, with {@code d_i = p_i - q_i} computed in double
 * from the float32 activations as {@link VectorMethod}'s PCA methods do. Votes of disjoint parts add up with
 * {@link #plus}; {@link PairStatistics#orient} applies them.
 *
 * @param higher pairs whose positive projects higher
 * @param lower  pairs whose positive projects lower
 * @param total  sum of the projections of the differences
 */
public record OrientationVotes(long higher, long lower, double total) implements Serializable {
    /** No votes yet. */
    public static final OrientationVotes NONE = new OrientationVotes(0, 0, 0);

    /** Validates the counts. */
    public OrientationVotes {
        if (higher < 0 || lower < 0) {
            throw new IllegalArgumentException("vote counts must be non-negative, got " + higher + " and " + lower);
        }
    }

    /** The vote of one pair on {@code axis}. */
    public static OrientationVotes of(float[] positive, float[] negative, double[] axis) {
        Objects.requireNonNull(positive, "positive");
        Objects.requireNonNull(negative, "negative");
        Objects.requireNonNull(axis, "axis");
        if (positive.length != axis.length || negative.length != axis.length) {
            throw new IllegalArgumentException("activations of length " + positive.length + " and "
                    + negative.length + " cannot vote on an axis of length " + axis.length);
        }
        double s = 0;
        for (int j = 0; j < axis.length; j++) {
            s += ((double) positive[j] - negative[j]) * axis[j];
        }
        return new OrientationVotes(s > 0 ? 1 : 0, s < 0 ? 1 : 0, s);
    }

    /** These votes and {@code other}'s together. */
    public OrientationVotes plus(OrientationVotes other) {
        return new OrientationVotes(higher + other.higher, lower + other.lower, total + other.total);
    }
}
