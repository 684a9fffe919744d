package io.steer4j.core.eval;

import java.util.Objects;

/**
 * Log-probabilities from logits: {@code logSoftmax(x)_i = x_i - log Σ_j exp(x_j)}, computed in double with the
 * maximum subtracted first so large logits cannot overflow.
 *
 * <p>{@code -∞} logits (masked tokens) are allowed and give {@code -∞}; NaN and {@code +∞} are rejected.
 *
 * <pre>{@code
 * double[] logProbs = LogSoftmax.of(nextTokenLogits);
 * double lp = LogSoftmax.logProbOf(nextTokenLogits, tokenId);
 * }</pre>
 */
public final class LogSoftmax {
    private LogSoftmax() {
    }

    /**
     * The log-softmax of {@code logits}.
     *
     * @throws IllegalArgumentException if empty, if a value is NaN or +∞ (naming the index), or all are −∞
     */
    public static double[] of(float[] logits) {
        Objects.requireNonNull(logits, "logits");
        double[] x = new double[logits.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = logits[i];
        }
        return ofChecked(x);
    }

    /** As {@link #of(float[])} for double logits. */
    public static double[] of(double[] logits) {
        Objects.requireNonNull(logits, "logits");
        return ofChecked(logits.clone());
    }

    /** The log-probability of token {@code index}: {@code logits[index] - logSumExp(logits)}. */
    public static double logProbOf(float[] logits, int index) {
        Objects.checkIndex(index, logits.length);
        return of(logits)[index];
    }

    /**
     * {@code log Σ exp(x_i)}, stably.
     *
     * @throws IllegalArgumentException as for {@link #of(float[])}
     */
    public static double logSumExp(double[] x) {
        Objects.requireNonNull(x, "x");
        if (x.length == 0) {
            throw new IllegalArgumentException("logits must not be empty");
        }
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < x.length; i++) {
            if (Double.isNaN(x[i]) || x[i] == Double.POSITIVE_INFINITY) {
                throw new IllegalArgumentException("logit " + i + " is " + x[i]);
            }
            max = Math.max(max, x[i]);
        }
        if (max == Double.NEGATIVE_INFINITY) {
            throw new IllegalArgumentException("all logits are -Infinity: no token has probability");
        }
        double sum = 0;
        for (double v : x) {
            sum += Math.exp(v - max);
        }
        return max + Math.log(sum);
    }

    private static double[] ofChecked(double[] x) {
        double lse = logSumExp(x);
        for (int i = 0; i < x.length; i++) {
            x[i] -= lse;
        }
        return x;
    }
}
