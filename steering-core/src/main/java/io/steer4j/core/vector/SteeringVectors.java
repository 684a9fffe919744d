package io.steer4j.core.vector;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Builds a {@link SteeringVector} from activations captured per layer.
 *
 * <pre>{@code
 * // pos.get(6) holds one row per pair: the positive text's residual stream leaving block 6
 * SteeringVector v = SteeringVectors.fromActivations(pos, neg, VectorMethod.PCA_DIFF,
 *     VectorMetadata.builder().modelId("gpt2").hiddenSize(768).readPosition("last_token").build());
 * }</pre>
 */
public final class SteeringVectors {
    private SteeringVectors() {
    }

    /**
     * Computes one direction per layer with {@code method}. Layers are computed in parallel. The result's
     * metadata is {@code metadata} with {@code method} set to {@link VectorMethod#id()} and {@code datasetSize}
     * set to the number of positive rows (the pair count for paired data), since both are facts of this call.
     *
     * @param positives activations of the positive examples, keyed by layer
     * @param negatives activations of the negative examples, keyed by the same layers
     * @throws IllegalArgumentException if the layer sets differ or are empty, a matrix's dim differs from
     *                                  {@code metadata.hiddenSize()}, layers disagree on the row count, or a
     *                                  layer admits no direction; the message names the layer
     */
    public static SteeringVector fromActivations(Map<Integer, ActivationMatrix> positives,
                                                 Map<Integer, ActivationMatrix> negatives,
                                                 VectorMethod method, VectorMetadata metadata) {
        Objects.requireNonNull(positives, "positives");
        Objects.requireNonNull(negatives, "negatives");
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(metadata, "metadata");
        if (positives.isEmpty()) {
            throw new IllegalArgumentException("no layers given");
        }
        if (!positives.keySet().equals(negatives.keySet())) {
            throw new IllegalArgumentException("positive activations have layers " + new TreeMap<>(positives).keySet()
                    + " but negative activations have layers " + new TreeMap<>(negatives).keySet());
        }
        int rows = -1;
        for (Map.Entry<Integer, ActivationMatrix> e : new TreeMap<>(positives).entrySet()) {
            int layer = e.getKey();
            ActivationMatrix p = e.getValue();
            ActivationMatrix q = negatives.get(layer);
            for (ActivationMatrix m : new ActivationMatrix[] {p, q}) {
                if (m.dim() != metadata.hiddenSize()) {
                    throw new IllegalArgumentException("layer " + layer + ": activations have dim " + m.dim()
                            + " but the metadata's hidden size is " + metadata.hiddenSize());
                }
            }
            if (rows >= 0 && p.rows() != rows) {
                throw new IllegalArgumentException("layer " + layer + " has " + p.rows()
                        + " positive rows but an earlier layer has " + rows);
            }
            rows = p.rows();
        }
        Map<Integer, float[]> directions = new ConcurrentHashMap<>();
        Map<Integer, IllegalArgumentException> failures = new ConcurrentHashMap<>();
        // Failures are collected and rethrown here rather than thrown inside the stream, because a parallel
        // stream rethrows a worker's exception wrapped in a copy whose message is the original's toString().
        positives.keySet().parallelStream().forEach(layer -> {
            try {
                directions.put(layer, method.direction(positives.get(layer), negatives.get(layer)));
            } catch (IllegalArgumentException ex) {
                failures.put(layer, ex);
            }
        });
        if (!failures.isEmpty()) {
            Map.Entry<Integer, IllegalArgumentException> first = new TreeMap<>(failures).firstEntry();
            throw new IllegalArgumentException("layer " + first.getKey() + ": " + first.getValue().getMessage(),
                    first.getValue());
        }
        VectorMetadata meta = metadata.toBuilder().method(method.id()).datasetSize(rows).build();
        return new SteeringVector(directions, meta);
    }
}
