package io.steer4j.djl.model;

import ai.djl.ndarray.NDArray;
import io.steer4j.djl.hooks.HookSet;

/** A decoder-only transformer family's forward pass (one implementation per architecture). */
interface DecoderTransformer {
    ModelConfig config();

    /**
     * Runs the blocks over {@code in}, appending to {@code cache} when given, running {@code hooks} at their sites.
     *
     * @return logits as asked by {@code logitsMode} (null for {@link LogitsMode#NONE}), owned by {@code in.manager()}
     */
    NDArray forward(ForwardInput in, KvCache cache, HookSet hooks, LogitsMode logitsMode);
}
