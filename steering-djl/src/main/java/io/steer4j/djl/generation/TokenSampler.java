package io.steer4j.djl.generation;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token of one row from its logits, with Hugging Face's semantics and order: repetition penalty
 * (a seen token's logit is divided by the penalty when positive, multiplied when negative), then greedy argmax,
 * or temperature, top-k, top-p and a seeded draw.
 */
final class TokenSampler {
    private final GenerationConfig config;
    private final SplittableRandom random;

    TokenSampler(GenerationConfig config) {
        this.config = config;
        this.random = new SplittableRandom(config.seed());
    }

    /** Chooses a token; {@code logits} is modified. {@code seen} marks tokens in the prompt or generated so far. */
    long next(float[] logits, boolean[] seen) {
        if (config.greedy() && config.repetitionPenalty() == 1.0) {
            return usableArgMax(logits);
        }
        requireUsable(logits);
        if (config.repetitionPenalty() != 1.0) {
            float p = (float) config.repetitionPenalty();
            for (int i = 0; i < logits.length; i++) {
                if (seen[i]) {
                    logits[i] = logits[i] < 0 ? logits[i] * p : logits[i] / p;
                }
            }
        }
        if (config.greedy()) {
            return argMax(logits);
        }
        int v = logits.length;
        double[] scaled = new double[v];
        for (int i = 0; i < v; i++) {
            scaled[i] = logits[i] / config.temperature();
        }
        Integer[] order = null;
        if (config.topK() > 0 && config.topK() < v) {
            double kth = kthLargest(scaled, config.topK());
            for (int i = 0; i < v; i++) {
                if (scaled[i] < kth) {
                    scaled[i] = Double.NEGATIVE_INFINITY;
                }
            }
        }
        double max = Double.NEGATIVE_INFINITY;
        for (double s : scaled) {
            max = Math.max(max, s);
        }
        double[] probs = new double[v];
        double sum = 0;
        for (int i = 0; i < v; i++) {
            probs[i] = Math.exp(scaled[i] - max);
            sum += probs[i];
        }
        for (int i = 0; i < v; i++) {
            probs[i] /= sum;
        }
        if (config.topP() < 1.0) {
            order = new Integer[v];
            for (int i = 0; i < v; i++) {
                order[i] = i;
            }
            double[] pr = probs;
            Arrays.sort(order, (a, b) -> Double.compare(pr[a], pr[b]));
            // Hugging Face: drop the low tail whose cumulative mass is <= 1 - top_p, always keeping the top token.
            double cum = 0;
            double kept = 0;
            for (int r = 0; r < v - 1; r++) {
                int idx = order[r];
                cum += probs[idx];
                if (cum <= 1 - config.topP()) {
                    probs[idx] = 0;
                }
            }
            for (double p : probs) {
                kept += p;
            }
            for (int i = 0; i < v; i++) {
                probs[i] /= kept;
            }
        }
        double u = random.nextDouble();
        double acc = 0;
        int last = -1;
        for (int i = 0; i < v; i++) {
            if (probs[i] > 0) {
                acc += probs[i];
                last = i;
                if (u < acc) {
                    return i;
                }
            }
        }
        return last;
    }

    /**
     * Refuses logits that cannot rank tokens: a NaN anywhere, or no finite value at all. Both come from activations
     * that overflowed (typically a steering strength far too large for the model); argmax would silently pick
     * token 0 and sampling would have no probability mass to draw from.
     */
    static void requireUsable(float[] logits) {
        boolean anyFinite = false;
        for (int i = 0; i < logits.length; i++) {
            if (Float.isNaN(logits[i])) {
                throw new IllegalStateException("the model produced a NaN logit (token " + i + "): its activations"
                        + " overflowed; lower the steering strength or check the vector and the weights");
            }
            anyFinite |= Float.isFinite(logits[i]);
        }
        if (!anyFinite) {
            throw new IllegalStateException("no logit is finite (all " + logits.length + " are infinite): the"
                    + " model's activations overflowed; lower the steering strength or check the vector");
        }
    }

    /**
     * {@link #argMax} after the checks of {@link #requireUsable}, in one pass over the vocabulary: greedy decoding
     * with nothing else to do reads the logits once instead of twice.
     */
    static int usableArgMax(float[] logits) {
        int best = 0;
        boolean nan = Float.isNaN(logits[0]);
        for (int i = 1; i < logits.length; i++) {
            float v = logits[i];
            nan |= v != v;
            if (v > logits[best]) {
                best = i;
            }
        }
        if (nan || !Float.isFinite(logits[best])) {
            requireUsable(logits); // names the problem (a NaN, or no finite logit at all)
        }
        return best;
    }

    static int argMax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    private static double kthLargest(double[] values, int k) {
        double[] copy = values.clone();
        Arrays.sort(copy);
        return copy[copy.length - k];
    }
}
