package io.steer4j.core.eval;

/**
 * The probability of answer A in a two-way (A/B) choice, as in CAA's multiple-choice evaluation: a softmax over
 * just the two answer tokens, {@code p(A) = exp(a) / (exp(a) + exp(b)) = 1 / (1 + exp(b - a))}.
 *
 * <p>The scores may be the answer tokens' logits or their log-probabilities: both differ from each other by the
 * same normaliser, which cancels. Computed stably for any finite scores.
 *
 * <pre>{@code
 * double pMatching = AbChoice.probabilityOfA(logits[tokenA], logits[tokenB]);
 * }</pre>
 */
public final class AbChoice {
    private AbChoice() {
    }

    /**
     * {@code 1 / (1 + exp(scoreB - scoreA))}.
     *
     * @throws IllegalArgumentException if a score is NaN, or both are the same infinity
     */
    public static double probabilityOfA(double scoreA, double scoreB) {
        if (Double.isNaN(scoreA) || Double.isNaN(scoreB)) {
            throw new IllegalArgumentException("scores must not be NaN, got " + scoreA + " and " + scoreB);
        }
        double d = scoreB - scoreA;
        if (Double.isNaN(d)) {
            throw new IllegalArgumentException("both scores are " + scoreA + ": the choice is undefined");
        }
        // Evaluate the logistic on the side where exp cannot overflow.
        if (d >= 0) {
            double e = Math.exp(-d);
            return e / (1 + e);
        }
        return 1 / (1 + Math.exp(d));
    }
}
