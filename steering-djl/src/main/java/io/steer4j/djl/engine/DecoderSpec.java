package io.steer4j.djl.engine;

/**
 * What a decoder's forward pass computes, as every engine reads it: pre-norm blocks of causal self-attention with
 * grouped-query heads and an MLP, over a residual stream of {@code hidden} floats per token. A model family is one
 * way of filling this in (learned or rotary positions, plain or gated MLP, sequential or parallel residual, the
 * norm, the activation); an engine reads it and decides only how to run it.
 *
 * <p>Hook points, for every engine: {@code resid_pre(L)} is the block input, {@code attn_out(L)} the attention
 * output after its output projection, {@code mlp_out(L)} the MLP output after its down projection (both before they
 * are added to the residual stream), {@code resid_post(L)} the block output. With a parallel residual (GPT-NeoX)
 * {@code resid_post = resid_pre + attn_out + mlp_out}, added in that order as {@code mlp + attn + x}.
 *
 * @param hidden           residual stream width
 * @param heads            query heads
 * @param kvHeads          key/value heads ({@code heads} is a multiple of it)
 * @param headDim          channels per head
 * @param intermediate     MLP width (per half, for a gated MLP)
 * @param vocab            vocabulary size
 * @param norm             the blocks' and the final norm
 * @param activation       the MLP's activation
 * @param gatedMlp         {@code down(act(gate(x)) * up(x))} with gate rows before up rows, else {@code down(act(up(x)))}
 * @param parallelResidual attention and MLP both read the block input
 * @param rotary           rotary position embedding of queries and keys, or null for learned positions
 */
public record DecoderSpec(int hidden, int heads, int kvHeads, int headDim, int intermediate, int vocab,
                          Normalization norm, Activation activation, boolean gatedMlp, boolean parallelResidual,
                          RotaryAngles rotary) {
    /** Validates the fields. */
    public DecoderSpec {
        if (hidden <= 0 || heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0 || headDim <= 0 || intermediate <= 0
                || vocab <= 0) {
            throw new IllegalArgumentException("invalid decoder shape: hidden " + hidden + ", heads " + heads
                    + ", kv heads " + kvHeads + ", head size " + headDim + ", MLP " + intermediate + ", vocab " + vocab);
        }
        if (norm == null || activation == null) {
            throw new IllegalArgumentException("a decoder needs a norm and an activation");
        }
    }
}
