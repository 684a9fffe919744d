package io.steer4j.djl.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steer4j.core.eval.CosineSimilarity;
import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.core.plan.TokenScope;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.djl.steering.SteeredEncoder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Layers × strengths sweeps of a steering vector on a BERT encoder, with one of two effects:
 *
 * <ul>
 *   <li>fill-mask ({@link #fillMask}): the mean log-odds of positive against negative words at each item's
 *       {@code [MASK]}, with the mean KL(unsteered || steered) of the mask distributions as the side effect;</li>
 *   <li>embedding ({@link #embedding}): the mean of cos(e, positive pole) - cos(e, negative pole) over steered
 *       texts, the poles being the mean embeddings of example texts, with the mean drift 1 - cos(steered,
 *       unsteered) as the side effect.</li>
 * </ul>
 *
 * <pre>{@code
 * List<EncoderSweep.Cell> cells = EncoderSweep.fillMask(SteeredEncoder.of(bert), vector, List.of(5, 9),
 *         List.of(-4.0, 0.0, 4.0), FillMaskItem.readJson(Path.of("eval.json")), TokenScope.all());
 * }</pre>
 */
public final class EncoderSweep {
    private EncoderSweep() {
    }

    /**
     * One cell.
     *
     * @param layer    the layer steered
     * @param strength the strength
     * @param effect   the effect (see the class comment)
     * @param side     the side effect: KL in nats (fill-mask) or embedding drift (embedding)
     */
    public record Cell(int layer, double strength, double effect, double side) {
    }

    /**
     * A fill-mask eval item: a text with one {@code [MASK]} (the first is scored) and two word lists, each word one
     * token of the vocabulary.
     */
    public record FillMaskItem(String prompt, List<String> positive, List<String> negative) {
        /** Validates. */
        public FillMaskItem {
            if (!prompt.contains("[MASK]") || positive.isEmpty() || negative.isEmpty()) {
                throw new IllegalArgumentException("a fill-mask item needs a prompt with [MASK] and non-empty "
                        + "positive and negative word lists");
            }
            positive = List.copyOf(positive);
            negative = List.copyOf(negative);
        }

        /**
         * Reads a JSON array of {@code {"prompt": "...[MASK]...", "positive": [...], "negative": [...]}}.
         *
         * @throws IllegalArgumentException naming the file and the item number when one is malformed
         */
        public static List<FillMaskItem> readJson(Path file) throws IOException {
            JsonNode root = new ObjectMapper().readTree(file.toFile());
            if (root == null || !root.isArray() || root.isEmpty()) {
                throw new IllegalArgumentException(file + " is not a non-empty JSON array of fill-mask items");
            }
            List<FillMaskItem> out = new ArrayList<>();
            for (int i = 0; i < root.size(); i++) {
                JsonNode n = root.get(i);
                try {
                    out.add(new FillMaskItem(n.path("prompt").asText(""), words(n.path("positive")),
                            words(n.path("negative"))));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(file + ": item " + (i + 1) + ": " + e.getMessage(), e);
                }
            }
            return out;
        }

        private static List<String> words(JsonNode a) {
            List<String> w = new ArrayList<>();
            a.forEach(x -> w.add(x.asText()));
            return w;
        }
    }

    /** The fill-mask sweep; the vector must hold every layer swept. */
    public static List<Cell> fillMask(SteeredEncoder enc, SteeringVector v, List<Integer> layers,
                                      List<Double> strengths, List<FillMaskItem> items, TokenScope scope) {
        List<String> prompts = items.stream().map(FillMaskItem::prompt).toList();
        long[][] pos = new long[items.size()][];
        long[][] neg = new long[items.size()][];
        for (int i = 0; i < items.size(); i++) {
            pos[i] = ids(enc, items.get(i).positive());
            neg[i] = ids(enc, items.get(i).negative());
        }
        List<float[][]> base = enc.maskLogProbabilities(prompts, SteeringPlan.NONE);
        List<Cell> cells = new ArrayList<>();
        for (int layer : layers) {
            for (double s : strengths) {
                List<float[][]> lp = s == 0 ? base
                        : enc.maskLogProbabilities(prompts, SteeringPlan.atLayers(v, s, layer).withScope(scope));
                double effect = 0;
                double kl = 0;
                for (int i = 0; i < items.size(); i++) {
                    float[] p = lp.get(i)[0];
                    float[] q = base.get(i)[0];
                    effect += (logSumExp(p, pos[i]) - logSumExp(p, neg[i])) / items.size();
                    double k = 0;
                    for (int t = 0; t < p.length; t++) {
                        k += Math.exp(q[t]) * (q[t] - p[t]);
                    }
                    kl += Math.max(0, k) / items.size();
                }
                cells.add(new Cell(layer, s, effect, kl));
            }
        }
        return cells;
    }

    /** The embedding sweep: {@code texts} steered, poles from {@code positivePole} and {@code negativePole}. */
    public static List<Cell> embedding(SteeredEncoder enc, SteeringVector v, List<Integer> layers,
                                       List<Double> strengths, List<String> texts, List<String> positivePole,
                                       List<String> negativePole, TokenScope scope) {
        float[] p = mean(enc.embed(positivePole, SteeringPlan.NONE));
        float[] n = mean(enc.embed(negativePole, SteeringPlan.NONE));
        float[][] base = enc.embed(texts, SteeringPlan.NONE);
        List<Cell> cells = new ArrayList<>();
        for (int layer : layers) {
            for (double s : strengths) {
                float[][] e = s == 0 ? base : enc.embed(texts, SteeringPlan.atLayers(v, s, layer).withScope(scope));
                double effect = 0;
                double drift = 0;
                for (int i = 0; i < e.length; i++) {
                    String what = "text " + i + " at layer " + layer + ", strength " + s;
                    effect += (cosine(e[i], p, what) - cosine(e[i], n, what)) / e.length;
                    drift += (1 - cosine(e[i], base[i], what)) / e.length;
                }
                cells.add(new Cell(layer, s, effect, drift));
            }
        }
        return cells;
    }

    /** A plain-text table of the cells, one line per cell. */
    public static String table(List<Cell> cells, String sideName) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%5s %9s %10s %10s%n", "layer", "strength",
                "effect", sideName));
        for (Cell c : cells) {
            b.append(String.format(Locale.ROOT, "%5d %9.3g %10.4f %10.4f%n", c.layer(), c.strength(), c.effect(),
                    c.side()));
        }
        return b.toString();
    }

    /** The cells as CSV with a header. */
    public static String csv(List<Cell> cells, String sideName) {
        StringBuilder b = new StringBuilder("layer,strength,effect," + sideName + "\n");
        for (Cell c : cells) {
            b.append(c.layer()).append(',').append(c.strength()).append(',').append(c.effect()).append(',')
                    .append(c.side()).append('\n');
        }
        return b.toString();
    }

    private static long[] ids(SteeredEncoder enc, List<String> words) {
        long[] out = new long[words.size()];
        for (int i = 0; i < out.length; i++) {
            long[] t = enc.model().tokenizer().encode(words.get(i), false);
            if (t.length != 1) {
                throw new IllegalArgumentException("'" + words.get(i) + "' is " + t.length + " tokens; fill-mask "
                        + "words must be one token of the vocabulary");
            }
            out[i] = t[0];
        }
        return out;
    }

    private static double logSumExp(float[] lp, long[] ids) {
        double max = Double.NEGATIVE_INFINITY;
        for (long i : ids) {
            max = Math.max(max, lp[(int) i]);
        }
        double s = 0;
        for (long i : ids) {
            s += Math.exp(lp[(int) i] - max);
        }
        return max + Math.log(s);
    }

    private static float[] mean(float[][] rows) {
        float[] m = new float[rows[0].length];
        for (float[] r : rows) {
            for (int i = 0; i < m.length; i++) {
                m[i] += r[i] / rows.length;
            }
        }
        return m;
    }

    /** {@link CosineSimilarity#of}, whose refusal of a zero vector names the text and cell it came from. */
    private static double cosine(float[] a, float[] b, String what) {
        try {
            return CosineSimilarity.of(a, b);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + ": " + e.getMessage(), e);
        }
    }
}
