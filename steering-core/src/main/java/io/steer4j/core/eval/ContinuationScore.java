package io.steer4j.core.eval;

import java.util.Objects;

/**
 * Scores continuations by log-probability: a continuation's log-probability is the sum of its tokens'
 * log-probabilities given the prompt and the preceding tokens, and two continuations are compared by the difference
 * of those sums. Steering towards a concept should raise {@code logProbDifference(conceptTokens, oppositeTokens)}.
 *
 * <pre>{@code
 * double delta = ContinuationScore.logProbDifference(happyTokenLogProbs, sadTokenLogProbs);
 * }</pre>
 */
public final class ContinuationScore {
    private ContinuationScore() {
    }

    /**
     * {@code Σ tokenLogProbs[i]} in double.
     *
     * @throws IllegalArgumentException if empty, or a value is NaN or positive
     */
    public static double logProb(double[] tokenLogProbs) {
        Objects.requireNonNull(tokenLogProbs, "tokenLogProbs");
        if (tokenLogProbs.length == 0) {
            throw new IllegalArgumentException("a continuation needs at least one token log-probability");
        }
        double sum = 0;
        for (int i = 0; i < tokenLogProbs.length; i++) {
            double v = tokenLogProbs[i];
            if (Double.isNaN(v) || v > 0) {
                throw new IllegalArgumentException("token log-probability " + i + " is " + v
                        + "; log-probabilities must be <= 0");
            }
            sum += v;
        }
        return sum;
    }

    /** {@code logProb(first) - logProb(second)}: positive when {@code first} is the likelier continuation. */
    public static double logProbDifference(double[] first, double[] second) {
        return logProb(first) - logProb(second);
    }
}
