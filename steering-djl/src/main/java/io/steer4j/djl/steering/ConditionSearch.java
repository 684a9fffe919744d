package io.steer4j.djl.steering;

import io.steer4j.core.eval.CosineSimilarity;
import io.steer4j.core.plan.HookPoint;
import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.core.vector.ActivationMatrix;
import io.steer4j.core.vector.VectorMethod;
import io.steer4j.djl.model.LanguageModel;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Finds the condition layer, direction and threshold that best separate prompts that should trigger steering
 * from prompts that should not, scored by F1 (the triggering set is the positive class).
 *
 * <p>For each candidate layer: the condition direction is the difference of the mean prompt-averaged hidden
 * states of the two sets; each prompt's score is {@code cos(h, direction)}; every midpoint between consecutive
 * sorted scores is tried as a threshold and the one with the highest F1 kept. The best layer wins (ties go to the
 * earlier layer, which is cheaper to evaluate at request time). All layers come from one forward pass per prompt.
 */
public final class ConditionSearch {
    private ConditionSearch() {
    }

    /**
     * The chosen condition.
     *
     * @param layer      the condition layer
     * @param direction  the condition vector at that layer
     * @param threshold  similarity above which the condition fires
     * @param f1         F1 on the given examples at that layer and threshold
     * @param f1ByLayer  best F1 per candidate layer, to show how the layers compare
     */
    public record Result(int layer, float[] direction, double threshold, double f1, Map<Integer, Double> f1ByLayer) {
        /** Copies the direction and the per-layer scores, so the record stays immutable. */
        public Result {
            direction = direction.clone();
            f1ByLayer = Collections.unmodifiableMap(new TreeMap<>(f1ByLayer));
        }

        /**
         * @return a copy of the condition direction
         */
        @Override
        public float[] direction() {
            return direction.clone();
        }

        /** A selector using this condition. */
        public ConditionVectorSelector selector(LanguageModel model, SteeringPlan plan, SteeringPlan otherwise) {
            return new ConditionVectorSelector(model, layer, direction, threshold, plan, otherwise);
        }
    }

    /**
     * Searches the candidate layers.
     *
     * @throws IllegalArgumentException when either example set is empty or a layer is out of range
     */
    public static Result search(LanguageModel model, List<String> shouldFire, List<String> shouldNotFire,
                                List<Integer> layers) {
        if (shouldFire.isEmpty() || shouldNotFire.isEmpty()) {
            throw new IllegalArgumentException("condition search needs examples on both sides (got "
                    + shouldFire.size() + " that should fire, " + shouldNotFire.size() + " that should not)");
        }
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("no candidate layers");
        }
        ActivationCapture capture = new ActivationCapture(model, HookPoint.RESID_POST, ReadPosition.mean(), 8, false);
        Map<Integer, float[][]> fire = capture.capture(shouldFire, layers, "condition+");
        Map<Integer, float[][]> quiet = capture.capture(shouldNotFire, layers, "condition-");
        Result best = null;
        Map<Integer, Double> byLayer = new TreeMap<>();
        for (int layer : layers) {
            float[] dir = meanDifference(fire.get(layer), quiet.get(layer));
            double[] f = scores(fire.get(layer), dir);
            double[] q = scores(quiet.get(layer), dir);
            double[] tf = bestThreshold(f, q);
            byLayer.put(layer, tf[1]);
            if (best == null || tf[1] > best.f1()) {
                best = new Result(layer, dir, tf[0], tf[1], Map.of());
            }
        }
        return new Result(best.layer(), best.direction(), best.threshold(), best.f1(), byLayer);
    }

    /** F1 of "score > threshold" predicting membership of the firing set. */
    public static double f1(double[] fireScores, double[] quietScores, double threshold) {
        int tp = 0;
        int fp = 0;
        for (double s : fireScores) {
            if (s > threshold) {
                tp++;
            }
        }
        for (double s : quietScores) {
            if (s > threshold) {
                fp++;
            }
        }
        int fn = fireScores.length - tp;
        return tp == 0 ? 0 : 2.0 * tp / (2.0 * tp + fp + fn);
    }

    /** {threshold, f1}: the midpoint threshold with the best F1. */
    static double[] bestThreshold(double[] fire, double[] quiet) {
        List<Double> all = new ArrayList<>();
        for (double d : fire) {
            all.add(d);
        }
        for (double d : quiet) {
            all.add(d);
        }
        Collections.sort(all);
        double bestT = all.get(0) - 1;
        double bestF = f1(fire, quiet, bestT);
        for (int i = 0; i + 1 < all.size(); i++) {
            double t = (all.get(i) + all.get(i + 1)) / 2;
            double f = f1(fire, quiet, t);
            if (f > bestF) {
                bestF = f;
                bestT = t;
            }
        }
        return new double[] {bestT, bestF};
    }

    private static float[] meanDifference(float[][] a, float[][] b) {
        return VectorMethod.MEAN_DIFFERENCE.direction(ActivationMatrix.ofRows(a), ActivationMatrix.ofRows(b));
    }

    private static double[] scores(float[][] rows, float[] dir) {
        return Arrays.stream(rows).mapToDouble(r -> cosine(r, dir)).toArray();
    }

    /** Similarity of a hidden state with a condition direction (0 for a zero hidden state). */
    static double cosine(float[] hidden, float[] direction) {
        for (float f : hidden) {
            if (f != 0) {
                return CosineSimilarity.of(hidden, direction);
            }
        }
        return 0;
    }
}
