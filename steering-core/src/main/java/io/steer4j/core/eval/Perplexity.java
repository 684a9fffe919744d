package io.steer4j.core.eval;

import java.util.Objects;

/**
 * Perplexity of a token sequence from its tokens' natural-log probabilities:
 * {@code exp(-(1/n) Σ log p(t_i))}. Used to check that steering has not wrecked fluency.
 *
 * <pre>{@code
 * double ppl = Perplexity.fromLogProbs(tokenLogProbs);   // 1 = perfectly predicted
 * }</pre>
 */
public final class Perplexity {
    private Perplexity() {
    }

    /**
     * {@code exp(-mean(tokenLogProbs))}; {@code +∞} if a token has probability 0.
     *
     * @throws IllegalArgumentException if empty, or a value is NaN or positive
     */
    public static double fromLogProbs(double[] tokenLogProbs) {
        Objects.requireNonNull(tokenLogProbs, "tokenLogProbs");
        return Math.exp(-ContinuationScore.logProb(tokenLogProbs) / tokenLogProbs.length);
    }
}
