package io.steer4j.djl.model;

import ai.djl.ndarray.NDArray;

/**
 * A model's weights in the one layout the shared block loop ({@link BlockTransformer}) reads, whatever the
 * checkpoint's layout was: every matrix is {@code [out, in]} (or a transposed view of a Conv1D {@code [in, out]}
 * matrix, which libtorch multiplies without a copy), so each projection is a single {@code linear}.
 *
 * @param embed     token embedding {@code [vocab, hidden]}
 * @param positions learned position embedding {@code [positions, hidden]}, or null for rotary models
 * @param layers    one entry per block
 * @param finalNorm the norm before the LM head
 * @param lmHead    {@code [vocab, hidden]} (the same array as {@code embed} when tied)
 */
record ModelWeights(NDArray embed, NDArray positions, Layer[] layers, Norm finalNorm, NDArray lmHead) {

    /**
     * A LayerNorm ({@code bias} non-null) or RMSNorm ({@code bias} null) weight.
     */
    record Norm(NDArray weight, NDArray bias) {
    }

    /**
     * One block.
     *
     * @param norm1 norm before attention
     * @param norm2 norm before the MLP
     * @param qkvW  fused projection {@code [(heads + 2 kvHeads) * headDim, hidden]}, output rows ordered q | k | v,
     *              each head-major (whatever the checkpoint's order, e.g. GPT-NeoX's per-head interleaving)
     * @param qkvB  its bias, or null
     * @param outW  attention output projection {@code [hidden, heads * headDim]}
     * @param outB  its bias, or null
     * @param upW   {@code [intermediate, hidden]}, or for a gated MLP the fused {@code [2 intermediate, hidden]}
     *              with the gate rows first
     * @param upB   its bias, or null
     * @param downW {@code [hidden, intermediate]}
     * @param downB its bias, or null
     */
    record Layer(Norm norm1, Norm norm2, NDArray qkvW, NDArray qkvB, NDArray outW, NDArray outB,
                 NDArray upW, NDArray upB, NDArray downW, NDArray downB) {
    }
}
