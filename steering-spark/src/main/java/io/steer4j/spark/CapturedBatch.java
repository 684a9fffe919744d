package io.steer4j.spark;

import java.io.Serializable;
import java.util.Map;

/**
 * Activations of one batch of pairs, per layer: row {@code i} of {@code positives.get(L)} and of
 * {@code negatives.get(L)} are the two sides of the batch's pair {@code i}.
 *
 * @param modelId    the model's id
 * @param hiddenSize the model's hidden size
 * @param positives  per layer, one row per pair
 * @param negatives  per layer, one row per pair
 */
record CapturedBatch(String modelId, int hiddenSize, Map<Integer, float[][]> positives,
                     Map<Integer, float[][]> negatives) implements Serializable {
}
