package io.steer4j.djl.steering;

import io.steer4j.core.vector.ActivationMatrix;
import io.steer4j.core.vector.SteeringVector;

import java.util.Map;

/**
 * A computed vector together with the activations it came from, for analysis: how well does each layer's
 * direction separate the positives from the negatives?
 *
 * @param vector    the steering vector
 * @param positives activations of the positive examples per layer (empty when not kept)
 * @param negatives activations of the negative examples per layer (empty when not kept)
 */
public record SteeringVectorResult(SteeringVector vector, Map<Integer, ActivationMatrix> positives,
                                   Map<Integer, ActivationMatrix> negatives) {
    /** Checks that the vector is present. */
    public SteeringVectorResult {
        positives = Map.copyOf(positives);
        negatives = Map.copyOf(negatives);
    }

    /** Projections of each positive example on the layer's unit direction. */
    public double[] positiveProjections(int layer) {
        return project(positives, layer);
    }

    /** Projections of each negative example on the layer's unit direction. */
    public double[] negativeProjections(int layer) {
        return project(negatives, layer);
    }

    /**
     * Fraction of pairs whose positive projects higher than its negative on the layer's direction: 1.0 means
     * the direction separates every pair, 0.5 is chance.
     */
    public double pairAccuracy(int layer) {
        double[] p = positiveProjections(layer);
        double[] n = negativeProjections(layer);
        int m = Math.min(p.length, n.length);
        int right = 0;
        for (int i = 0; i < m; i++) {
            if (p[i] > n[i]) {
                right++;
            }
        }
        return (double) right / m;
    }

    private double[] project(Map<Integer, ActivationMatrix> acts, int layer) {
        ActivationMatrix a = acts.get(layer);
        if (a == null) {
            throw new IllegalStateException("activations for layer " + layer
                    + " were not kept; build the computer with keepActivations(true)");
        }
        float[] dir = vector.direction(layer);
        double norm = 0;
        for (float f : dir) {
            norm += (double) f * f;
        }
        norm = Math.sqrt(norm);
        double[] out = new double[a.rows()];
        for (int r = 0; r < a.rows(); r++) {
            double dot = 0;
            for (int d = 0; d < dir.length; d++) {
                dot += (double) a.get(r, d) * dir[d];
            }
            out[r] = norm == 0 ? 0 : dot / norm;
        }
        return out;
    }
}
