package io.steer4j.djl.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.steer4j.djl.hooks.HookSet;

/**
 * A decoder-only forward pass. {@link BlockTransformer} implements it for every family, reading the differences
 * from {@link ModelFamily} and {@link ModelConfig}; the interface keeps {@link LanguageModel} independent of that.
 */
interface DecoderTransformer {
    ModelConfig config();

    /**
     * Runs the blocks over {@code in}, appending to {@code cache} when given, running {@code hooks} at their sites.
     *
     * @return logits as asked by {@code logitsMode} (null for {@link LogitsMode#NONE}), owned by {@code in.manager()}
     */
    NDArray forward(ForwardInput in, KvCache cache, HookSet hooks, LogitsMode logitsMode);

    /**
     * One decode step for rows that each have their own single-row cache (continuous batching): row {@code r} adds
     * {@code tokens[r]} after the tokens in {@code caches[r]}.
     *
     * @return last-position logits {@code [rows, vocab]} in float32, owned by {@code m}
     */
    NDArray decodeRows(NDManager m, long[] tokens, KvCache[] caches, int[] promptLengths, HookSet hooks);
}
