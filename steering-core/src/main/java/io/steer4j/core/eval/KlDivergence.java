package io.steer4j.core.eval;

import java.util.Objects;

/**
 * Kullback-Leibler divergence {@code KL(p || q) = Σ_i p_i (log p_i - log q_i)} between two next-token
 * distributions given as logits, in nats, computed in double from log-softmaxes (no exp of raw logits).
 * Measures how far steering moves the model's predictions: {@code KL(unsteered || steered)}.
 *
 * <p>Tokens with {@code p_i = 0} contribute nothing; a token with {@code p_i > 0} and {@code q_i = 0} makes the
 * divergence {@code +∞}.
 *
 * <pre>{@code
 * double kl = KlDivergence.fromLogits(baseLogits, steeredLogits);
 * }</pre>
 */
public final class KlDivergence {
    private KlDivergence() {
    }

    /**
     * {@code KL(softmax(pLogits) || softmax(qLogits))}, at least 0.
     *
     * @throws IllegalArgumentException if the lengths differ, or either logit vector is invalid for
     *                                  {@link LogSoftmax#of(float[])}
     */
    public static double fromLogits(float[] pLogits, float[] qLogits) {
        Objects.requireNonNull(pLogits, "pLogits");
        Objects.requireNonNull(qLogits, "qLogits");
        if (pLogits.length != qLogits.length) {
            throw new IllegalArgumentException("distributions differ in size: " + pLogits.length + " vs "
                    + qLogits.length);
        }
        double[] lp = LogSoftmax.of(pLogits);
        double[] lq = LogSoftmax.of(qLogits);
        double kl = 0;
        for (int i = 0; i < lp.length; i++) {
            if (lp[i] == Double.NEGATIVE_INFINITY) {
                continue;
            }
            kl += Math.exp(lp[i]) * (lp[i] - lq[i]);
        }
        // Rounding can leave a tiny negative for identical distributions; KL is never negative.
        return Math.max(0, kl);
    }
}
