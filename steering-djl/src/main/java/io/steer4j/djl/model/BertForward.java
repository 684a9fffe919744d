package io.steer4j.djl.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import io.steer4j.core.plan.HookPoint;
import io.steer4j.djl.engine.Activation;
import io.steer4j.djl.engine.HookRows;
import io.steer4j.djl.engine.NormKind;
import io.steer4j.djl.engine.Normalization;
import io.steer4j.djl.hooks.HookSet;

import java.util.List;

/**
 * The BERT encoder forward pass as NDArray operations, as Hugging Face's {@code BertModel} computes it:
 * word + absolute position + token-type embeddings and a LayerNorm, then post-LayerNorm blocks of bidirectional
 * self-attention (padding keys masked) and a GELU MLP.
 *
 * <p>Hook points mean what they mean for the decoders: {@code resid_pre(L)} is block {@code L}'s input,
 * {@code attn_out(L)} the attention output after its projection and {@code mlp_out(L)} the MLP output after its
 * down projection (both before their residual add and LayerNorm), {@code resid_post(L)} the block output, which is
 * Hugging Face's {@code hidden_states[L + 1]}. Post-LayerNorm makes a change at {@code attn_out} or {@code mlp_out}
 * pass through that block's LayerNorm; a change at {@code resid_post} reaches the next block as it is.
 */
final class BertForward {
    /** Additive mask value for padding keys: exp(-1e9 - max) is exactly 0 in float32. */
    private static final float MASKED = -1e9f;

    private final BertConfig config;
    private final BertWeights w;
    private final Activation act;
    private final Normalization norm;

    BertForward(BertConfig config, BertWeights weights) {
        this.config = config;
        this.w = weights;
        this.act = ActivationNames.parse(config.activation());
        this.norm = new Normalization(NormKind.LAYER_NORM, (float) config.layerNormEps());
    }

    BertWeights weights() {
        return w;
    }

    /**
     * The last hidden state {@code [batch, t, hidden]} of right-padded rows (padding slots hold values no real
     * token reads), or null when {@code stopAfterLastHook} and the pass ended after the highest hooked layer.
     *
     * @param rows     token ids per row, unpadded
     * @param typeIds  token-type ids per row (same lengths), or null for all zeros
     */
    NDArray forward(NDManager m, List<long[]> rows, List<long[]> typeIds, HookSet hooks, boolean stopAfterLastHook) {
        int batch = rows.size();
        int t = 0;
        int[] lens = new int[batch];
        for (int r = 0; r < batch; r++) {
            lens[r] = rows.get(r).length;
            t = Math.max(t, lens[r]);
        }
        if (t > config.maxPositions()) {
            throw new IllegalArgumentException("a row has " + t + " tokens but the model has "
                    + config.maxPositions() + " positions");
        }
        int d = config.hiddenSize();
        long n = (long) batch * t;
        long[] ids = new long[(int) n];
        long[] types = new long[(int) n];
        long[] pos = new long[(int) n];
        long[][] positions = new long[batch][t];
        float[] mask = new float[batch * t];
        boolean padded = false;
        for (int r = 0; r < batch; r++) {
            long[] row = rows.get(r);
            long[] type = typeIds == null ? null : typeIds.get(r);
            for (int i = 0; i < t; i++) {
                int k = r * t + i;
                pos[k] = i;
                if (i < row.length) {
                    ids[k] = row[i];
                    types[k] = type == null ? 0 : type[i];
                    positions[r][i] = i;
                } else {
                    ids[k] = config.padTokenId();
                    positions[r][i] = -1;
                    mask[k] = MASKED;
                    padded = true;
                }
                checkId(ids[k], config.vocabSize(), "token", r, i);
                checkId(types[k], config.typeVocabSize(), "token type", r, i);
            }
        }
        NDArray x = Embedding.embedding(m.create(ids, new Shape(n)), w.words(), SparseFormat.DENSE).singletonOrThrow();
        x = x.addi(Embedding.embedding(m.create(types, new Shape(n)), w.types(), SparseFormat.DENSE)
                .singletonOrThrow());
        x = x.addi(Embedding.embedding(m.create(pos, new Shape(n)), w.positions(), SparseFormat.DENSE)
                .singletonOrThrow());
        x = norm(x, w.embedNorm());
        NDArray attnMask = padded ? m.create(mask, new Shape(batch, 1, 1, t)) : null;

        HookRows sites = new HookRows(hooks, batch, t, d, false, positions, lens, m);
        int layers = stopAfterLastHook && hooks.maxLayer() >= 0 ? hooks.maxLayer() + 1 : w.layers().length;
        for (int l = 0; l < layers; l++) {
            BertWeights.Layer b = w.layers()[l];
            x = sites.apply(HookPoint.RESID_PRE, l, x);
            NDArray attn = sites.apply(HookPoint.ATTN_OUT, l, attention(x, b, attnMask, batch, t));
            x = norm(attn.add(x), b.attnNorm());
            NDArray up = act.apply(Linear.linear(x, b.up().weight(), b.up().bias()).singletonOrThrow());
            NDArray mlp = sites.apply(HookPoint.MLP_OUT, l,
                    Linear.linear(up, b.down().weight(), b.down().bias()).singletonOrThrow());
            x = norm(mlp.add(x), b.outNorm());
            x = sites.apply(HookPoint.RESID_POST, l, x);
        }
        if (layers < w.layers().length) {
            return null;
        }
        return x.reshape(batch, t, d);
    }

    /** Masked-LM logits {@code [..., vocab]} of hidden states {@code [..., hidden]}. */
    NDArray maskedLmLogits(NDArray hidden) {
        BertWeights.MaskedLmHead h = w.maskedLm();
        NDArray y = act.apply(Linear.linear(hidden, h.transform().weight(), h.transform().bias()).singletonOrThrow());
        y = norm(y, h.norm());
        return Linear.linear(y, w.words(), h.bias()).singletonOrThrow();
    }

    /** The pooler's output {@code [batch, hidden]}: tanh(dense(first token)). */
    NDArray pool(NDArray hidden) {
        NDArray first = hidden.get(new NDIndex(":, 0, :"));
        return Linear.linear(first, w.pooler().weight(), w.pooler().bias()).singletonOrThrow().tanh();
    }

    private static void checkId(long id, int size, String what, int row, int col) {
        if (id < 0 || id >= size) {
            throw new IllegalArgumentException(what + " id " + id + " at row " + row + ", position " + col
                    + " is outside [0, " + size + ")");
        }
    }

    private NDArray norm(NDArray x, BertWeights.Norm n) {
        return norm.apply(x, n.weight(), n.bias(), false);
    }

    /** Bidirectional self-attention of {@code x} ({@code [rows, hidden]}) to its output after the projection. */
    private NDArray attention(NDArray x, BertWeights.Layer b, NDArray attnMask, int batch, int t) {
        int heads = config.numHeads();
        int hd = config.headDim();
        long d = config.hiddenSize();
        NDArray qkv = Linear.linear(x, b.qkv().weight(), b.qkv().bias()).singletonOrThrow();
        NDList parts = qkv.split(3, 1);
        NDArray q = parts.get(0).reshape(batch, t, heads, hd).transpose(0, 2, 1, 3);
        NDArray k = parts.get(1).reshape(batch, t, heads, hd).transpose(0, 2, 3, 1);
        NDArray v = parts.get(2).reshape(batch, t, heads, hd).transpose(0, 2, 1, 3);
        NDArray scores = q.matMul(k).muli((float) (1.0 / Math.sqrt(hd)));
        if (attnMask != null) {
            scores.addi(attnMask);
        }
        NDArray ctx = scores.softmax(-1).matMul(v).transpose(0, 2, 1, 3).reshape((long) batch * t, d);
        return Linear.linear(ctx, b.attnOut().weight(), b.attnOut().bias()).singletonOrThrow();
    }
}
