package io.steer4j.djl.eval;

import io.steer4j.core.plan.SteeringStrength;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.djl.model.LanguageModel;

import java.util.List;
import java.util.TreeSet;
import java.util.stream.IntStream;

/**
 * The checked layers × strengths of a sweep, both ascending and without duplicates: every layer in the model's
 * range (and in the vector, when one is given), every strength finite ({@code -0.0} and {@code 0.0} are one), and,
 * once the vector is known, every cell's added norm within {@link SteeringStrength}'s bound.
 *
 * @param layers    the layers swept, ascending
 * @param strengths the strengths swept, ascending
 */
record SweepGrid(List<Integer> layers, List<Double> strengths) {

    /**
     * Checks the requested grid.
     *
     * @param requestedLayers null for the vector's layers, or every layer of the model when there is no vector
     * @param vector          the vector to sweep, or null when it is computed later from a dataset
     * @throws IllegalArgumentException naming the layer or strength that is refused
     */
    static SweepGrid of(List<Integer> requestedLayers, List<Double> requestedStrengths, LanguageModel model,
                        SteeringVector vector) {
        return new SweepGrid(checkLayers(requestedLayers, model, vector), checkStrengths(requestedStrengths));
    }

    /** Every cell of the grid respects {@link SteeringStrength}'s bound, checked before the first forward pass. */
    void checkAddedNorms(SteeringVector v) {
        for (int layer : layers) {
            float[] dir = v.direction(layer);
            for (double s : strengths) {
                SteeringStrength.check(s, dir, "layer " + layer);
            }
        }
    }

    private static List<Integer> checkLayers(List<Integer> requested, LanguageModel model, SteeringVector vector) {
        List<Integer> ls = requested;
        if (ls == null) {
            ls = vector != null ? List.copyOf(vector.layers())
                    : IntStream.range(0, model.numLayers()).boxed().toList();
        }
        if (ls.isEmpty()) {
            throw new IllegalArgumentException("no layers given: pass at least one layer to sweep");
        }
        TreeSet<Integer> set = new TreeSet<>();
        for (Integer l : ls) {
            if (l == null) {
                throw new IllegalArgumentException("layer null is out of range: the model has "
                        + model.numLayers() + " layers (0.." + (model.numLayers() - 1) + ")");
            }
            model.checkLayer(l);
            if (vector != null && !vector.hasLayer(l)) {
                throw new IllegalArgumentException("the vector has no direction for layer " + l + "; it has "
                        + vector.layers());
            }
            set.add(l);
        }
        return List.copyOf(set);
    }

    private static List<Double> checkStrengths(List<Double> requested) {
        if (requested == null || requested.isEmpty()) {
            throw new IllegalArgumentException("no strengths given: pass at least one strength, e.g. 0, 1, 2, 4, 8");
        }
        TreeSet<Double> set = new TreeSet<>();
        for (Double s : requested) {
            if (s == null || !Double.isFinite(s)) {
                throw new IllegalArgumentException("strength " + s + " is not a finite number");
            }
            set.add(s == 0 ? 0.0 : s);   // -0.0 and 0.0 are one strength
        }
        return List.copyOf(set);
    }
}
