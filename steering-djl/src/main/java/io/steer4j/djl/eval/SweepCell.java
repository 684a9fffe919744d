package io.steer4j.djl.eval;

/**
 * One (layer, strength) of a sweep.
 *
 * @param layer              the layer steered
 * @param strength           the steering strength (0 = unsteered)
 * @param effect             behaviour effect: {@code score - unsteered score} (see {@link EvalKind})
 * @param perplexity         perplexity of the neutral texts under steering (all their tokens pooled)
 * @param kl                 mean over eval prompts of {@code KL(unsteered || steered)} of the next-token
 *                           distribution after the prompt, in nats
 * @param score              the steered score itself
 * @param baselinePerplexity the unsteered perplexity of the same neutral texts
 */
public record SweepCell(int layer, double strength, double effect, double perplexity, double kl, double score,
                        double baselinePerplexity) {
    /** {@code perplexity / baselinePerplexity} (1 = unchanged). */
    public double perplexityRatio() {
        return perplexity / baselinePerplexity;
    }

    /** {@code perplexity - baselinePerplexity} (0 = unchanged). */
    public double perplexityDelta() {
        return perplexity - baselinePerplexity;
    }
}
