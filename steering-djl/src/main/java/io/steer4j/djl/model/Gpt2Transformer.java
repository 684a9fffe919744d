package io.steer4j.djl.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import io.steer4j.core.hook.HookPoint;
import io.steer4j.djl.hooks.ActivationHook;
import io.steer4j.djl.hooks.HookSet;
import io.steer4j.djl.hooks.HookSite;

import java.util.List;

/**
 * GPT-2 written as NDArray operations, computed exactly as Hugging Face's {@code GPT2LMHeadModel}: learned
 * positions, pre-LayerNorm blocks, tanh-approximated GELU, causal attention with an additive padding mask and
 * the LM head tied to the token embedding.
 *
 * <p>Conv1D weights are stored {@code [in, out]}; they are passed to {@code linear} as transposed views, which
 * libtorch turns back into a plain {@code x @ W} with the bias fused, without copying the weight.
 */
final class Gpt2Transformer implements DecoderTransformer {
    /** Additive mask value: exp(-1e9 - max) is exactly 0 in float32, and a fully masked row stays finite. */
    private static final float MASKED = -1e9f;
    private static final float GELU_C = (float) Math.sqrt(2.0 / Math.PI);

    private record Block(NDArray ln1W, NDArray ln1B, NDArray attnW, NDArray attnB, NDArray projW, NDArray projB,
                         NDArray ln2W, NDArray ln2B, NDArray fcW, NDArray fcB, NDArray fc2W, NDArray fc2B) {
    }

    private final ModelConfig config;
    private final NDArray wte;
    private final NDArray wpe;
    private final NDArray lnfW;
    private final NDArray lnfB;
    private final NDArray lmHead;
    private final Block[] blocks;
    private final Shape normShape;
    private final float eps;

    Gpt2Transformer(ModelConfig c, WeightStore w, NDManager m) {
        this.config = c;
        long d = c.hiddenSize();
        long inner = c.intermediateSize();
        this.wte = w.load(m, "wte.weight", c.vocabSize(), d);
        this.wpe = w.load(m, "wpe.weight", c.contextLength(), d);
        this.lnfW = w.load(m, "ln_f.weight", d);
        this.lnfB = w.load(m, "ln_f.bias", d);
        this.lmHead = c.tieWordEmbeddings() || !w.has("lm_head.weight") ? wte : w.load(m, "lm_head.weight", c.vocabSize(), d);
        this.blocks = new Block[c.numLayers()];
        for (int i = 0; i < blocks.length; i++) {
            String p = "h." + i + ".";
            blocks[i] = new Block(
                    w.load(m, p + "ln_1.weight", d), w.load(m, p + "ln_1.bias", d),
                    w.load(m, p + "attn.c_attn.weight", d, 3 * d).transpose(), w.load(m, p + "attn.c_attn.bias", 3 * d),
                    w.load(m, p + "attn.c_proj.weight", d, d).transpose(), w.load(m, p + "attn.c_proj.bias", d),
                    w.load(m, p + "ln_2.weight", d), w.load(m, p + "ln_2.bias", d),
                    w.load(m, p + "mlp.c_fc.weight", d, inner).transpose(), w.load(m, p + "mlp.c_fc.bias", inner),
                    w.load(m, p + "mlp.c_proj.weight", inner, d).transpose(), w.load(m, p + "mlp.c_proj.bias", d));
        }
        if (!"gelu_new".equals(c.activation()) && !"gelu_pytorch_tanh".equals(c.activation())) {
            throw new ModelLoadException("unsupported GPT-2 activation '" + c.activation()
                    + "'; supported: gelu_new, gelu_pytorch_tanh");
        }
        this.normShape = new Shape(d);
        this.eps = (float) c.layerNormEps();
    }

    @Override
    public ModelConfig config() {
        return config;
    }

    @Override
    public NDArray forward(ForwardInput in, KvCache cache, HookSet hooks, LogitsMode logitsMode) {
        NDManager m = in.manager();
        int batch = in.batchSize();
        int t = in.length();
        int past = cache == null ? 0 : cache.length();
        long[][] positions = in.logicalPositions(cache == null ? null : cache.nextPosition);
        checkContext(positions);

        NDArray ids = m.create(in.flatTokens(), new Shape(batch, t));
        NDArray pos = m.create(embeddingPositions(positions), new Shape(batch, t));
        NDArray x = Embedding.embedding(ids, wte, SparseFormat.DENSE).singletonOrThrow()
                .add(Embedding.embedding(pos, wpe, SparseFormat.DENSE).singletonOrThrow());

        int[][] fullMask = fullMask(in, cache);
        NDArray attnMask = attentionMask(m, in, fullMask, past);
        Sites sites = new Sites(hooks, batch, t, positions, in.promptLengths(), m);
        int heads = config.numHeads();
        int hd = config.headDim();
        float scale = (float) (1.0 / Math.sqrt(hd));
        int d = config.hiddenSize();
        int lastHooked = hooks.maxLayer();
        int layersToRun = logitsMode == LogitsMode.NONE && lastHooked >= 0 ? lastHooked + 1 : blocks.length;

        for (int l = 0; l < layersToRun; l++) {
            Block b = blocks[l];
            x = sites.apply(HookPoint.RESID_PRE, l, x);

            NDArray h = LayerNorm.layerNorm(x, normShape, b.ln1W, b.ln1B, eps).singletonOrThrow();
            NDArray qkv = Linear.linear(h, b.attnW, b.attnB).singletonOrThrow();
            NDList parts = qkv.split(3, 2);
            NDArray q = parts.get(0).reshape(batch, t, heads, hd).transpose(0, 2, 1, 3);
            NDArray k = parts.get(1).reshape(batch, t, heads, hd).transpose(0, 2, 1, 3);
            NDArray v = parts.get(2).reshape(batch, t, heads, hd).transpose(0, 2, 1, 3);
            if (cache != null) {
                if (cache.keys[l] != null) {
                    k = cache.keys[l].concat(k, 2);
                    v = cache.values[l].concat(v, 2);
                }
                cache.store(l, k, v);
            }
            NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).mul(scale);
            if (attnMask != null) {
                scores = scores.add(attnMask);
            }
            NDArray ctx = scores.softmax(-1).matMul(v).transpose(0, 2, 1, 3).reshape(batch, t, d);
            NDArray attnOut = Linear.linear(ctx, b.projW, b.projB).singletonOrThrow();
            attnOut = sites.apply(HookPoint.ATTN_OUT, l, attnOut);
            x = x.add(attnOut);

            NDArray h2 = LayerNorm.layerNorm(x, normShape, b.ln2W, b.ln2B, eps).singletonOrThrow();
            NDArray mlpOut = Linear.linear(geluTanh(Linear.linear(h2, b.fcW, b.fcB).singletonOrThrow()),
                    b.fc2W, b.fc2B).singletonOrThrow();
            mlpOut = sites.apply(HookPoint.MLP_OUT, l, mlpOut);
            x = x.add(mlpOut);
            x = sites.apply(HookPoint.RESID_POST, l, x);
        }
        if (cache != null) {
            cache.mask = fullMask;
            in.advance(cache.nextPosition);
        }
        if (logitsMode == LogitsMode.NONE) {
            return null;
        }
        if (logitsMode == LogitsMode.LAST) {
            x = x.get(new NDIndex(":, -1, :"));
        }
        NDArray hf = LayerNorm.layerNorm(x, normShape, lnfW, lnfB, eps).singletonOrThrow();
        return Linear.linear(hf, lmHead).singletonOrThrow();
    }

    private void checkContext(long[][] positions) {
        for (long[] row : positions) {
            for (long p : row) {
                if (p >= config.contextLength()) {
                    throw new IllegalArgumentException("sequence reaches position " + p + " but the model's context is "
                            + config.contextLength() + " tokens");
                }
            }
        }
    }

    private static long[] embeddingPositions(long[][] positions) {
        int t = positions[0].length;
        long[] out = new long[positions.length * t];
        for (int b = 0; b < positions.length; b++) {
            for (int i = 0; i < t; i++) {
                // padding gets position 1, as Hugging Face does; its value never reaches a real token
                out[b * t + i] = positions[b][i] < 0 ? 1 : positions[b][i];
            }
        }
        return out;
    }

    private static int[][] fullMask(ForwardInput in, KvCache cache) {
        int[][] now = in.mask();
        if (cache == null) {
            return now;
        }
        int[][] out = new int[now.length][];
        for (int b = 0; b < now.length; b++) {
            int[] old = cache.mask[b];
            int[] m = java.util.Arrays.copyOf(old, old.length + now[b].length);
            System.arraycopy(now[b], 0, m, old.length, now[b].length);
            out[b] = m;
        }
        return out;
    }

    /** Additive [batch, 1, t, s] mask, or null when every key is visible to every query. */
    private static NDArray attentionMask(NDManager m, ForwardInput in, int[][] fullMask, int past) {
        int batch = fullMask.length;
        int t = in.length();
        int s = fullMask[0].length;
        boolean padded = false;
        for (int[] row : fullMask) {
            for (int v : row) {
                padded |= v == 0;
            }
        }
        if (!padded && t == 1) {
            return null;
        }
        if (!padded) {
            float[] causal = new float[t * s];
            for (int i = 0; i < t; i++) {
                for (int j = past + i + 1; j < s; j++) {
                    causal[i * s + j] = MASKED;
                }
            }
            return m.create(causal, new Shape(1, 1, t, s));
        }
        float[] mask = new float[batch * t * s];
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < t; i++) {
                int base = (b * t + i) * s;
                for (int j = 0; j < s; j++) {
                    if (j > past + i || fullMask[b][j] == 0) {
                        mask[base + j] = MASKED;
                    }
                }
            }
        }
        return m.create(mask, new Shape(batch, 1, t, s));
    }

    /** GPT-2's "gelu_new": 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
    private static NDArray geluTanh(NDArray x) {
        NDArray inner = x.mul(x).mul(x).mul(0.044715f).add(x).mul(GELU_C);
        return inner.tanh().add(1f).mul(x).mul(0.5f);
    }

    /** Runs the hooks registered at a site; checks that a replacement keeps the shape. */
    private record Sites(HookSet hooks, int batch, int t, long[][] positions, int[] promptLengths, NDManager m) {
        NDArray apply(HookPoint p, int layer, NDArray x) {
            List<ActivationHook> hs = hooks.at(p, layer);
            if (hs.isEmpty()) {
                return x;
            }
            HookSite site = new HookSite(p, layer, batch, t, positions, promptLengths, m);
            for (ActivationHook h : hs) {
                NDArray y = h.apply(site, x);
                if (y == null || !y.getShape().equals(x.getShape())) {
                    throw new IllegalStateException("hook at " + p + " layer " + layer + " returned shape "
                            + (y == null ? "null" : y.getShape()) + ", expected " + x.getShape());
                }
                if (y.getManager() != m && y != x) {
                    y.attach(m);
                }
                x = y;
            }
            return x;
        }
    }
}
