package io.steer4j.djl.hooks;

import ai.djl.ndarray.NDManager;
import io.steer4j.core.plan.HookPoint;

/**
 * Where and when a hook runs: the hook point, the layer, and the positions of the tokens in this forward call.
 *
 * <p>Positions are logical token positions per row: left padding does not count, so position 0 is each row's
 * first real token. With a KV cache, a decode step sees only the new token, at position {@code promptLength + k}.
 *
 * @param point          the hook point
 * @param layer          0-based block index
 * @param batchSize      rows in this call
 * @param queryLength    tokens per row in this call (1 during cached decoding)
 * @param positions      logical position of each token, {@code long[batch][queryLength]} (-1 for padding)
 * @param promptLengths  length of each row's prompt (real tokens), to tell prompt from generated tokens
 * @param manager        the call's manager: arrays a hook creates belong here and are freed after the call
 */
public record HookSite(HookPoint point, int layer, int batchSize, int queryLength, long[][] positions,
                       int[] promptLengths, NDManager manager) {

    /** True when this call holds prompt tokens only (no cached decoding step yet). */
    public boolean isPrefill() {
        for (int b = 0; b < batchSize; b++) {
            long last = positions[b][queryLength - 1];
            if (last >= promptLengths[b]) {
                return false;
            }
        }
        return true;
    }
}
