package io.steer4j.djl.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import io.steer4j.core.format.safetensors.SafetensorsDtype;
import io.steer4j.core.plan.HookPoint;
import io.steer4j.djl.engine.DecoderSpec;
import io.steer4j.djl.engine.HookRows;
import io.steer4j.djl.hooks.HookSet;

import java.util.function.Supplier;

/**
 * A decoder's forward pass ({@link DecoderSpec}, the same for every family, see {@link ModelFamily#spec}) on
 * libtorch: pre-norm blocks of causal self-attention and an MLP, written as NDArray operations so that each hook
 * point is a plain call in one loop. It runs batches, GPUs, padded rows and scoring passes; one-row passes on the
 * CPU go to the Java CPU engine ({@link JavaEngineBinding}) when the model was loaded with it. What differs between
 * families is data: the norm, learned or rotary positions, grouped-query head counts, a plain or gated MLP, and
 * sequential or parallel residual.
 *
 * <p>Hook points are {@link DecoderSpec}'s. With a parallel residual (GPT-NeoX) attention and MLP both read the same
 * normalised block input, so a hook changing {@code attn_out} does not reach the MLP of that block.
 */
final class BlockTransformer implements DecoderTransformer {
    /** Additive mask value: exp(-1e9 - max) is exactly 0 in float32, and a fully masked row stays finite. */
    private static final float MASKED = -1e9f;

    private final ModelConfig config;
    /** libtorch's arrays: made at load, or at the first pass that needs them (see {@link LibtorchWeights}). */
    private final LibtorchWeights libtorch;
    private final DecoderSpec spec;
    private final Rotary rotary;
    /** Weights in float16 ({@link Precision#FLOAT16}): some steps are upcast, see {@link Precision}. */
    private final boolean half;
    /** The Java CPU engine for batch-1 CPU calls with a cache, or null where libtorch runs them; see {@link #forward}. */
    private final JavaEngineBinding simd;
    /** Which engine runs one-row CPU passes, and why, for the model's load log line. */
    private final String engineChoice;

    /**
     * @param layout    the checkpoint's weights as recipes ({@link ModelFamily#layout})
     * @param store     the open checkpoint the layout came from
     * @param precision the precision libtorch's weights are kept in
     * @param reload    makes libtorch's weights again from a freshly opened checkpoint (the load's {@code store} is
     *                  closed by then): called on the first libtorch pass of a 16-bit checkpoint whose one-row
     *                  passes run on the Java engine, which reads its copy from the file and needs no libtorch array
     * @param requested the load option, before {@link CpuEngine#PROPERTY} may override it
     * @throws ModelLoadException when {@link CpuEngine#JAVA} is asked for and cannot run this model
     */
    BlockTransformer(ModelConfig c, ModelFamily family, WeightLayout layout, WeightStore store, NDManager manager,
                     Precision precision, Supplier<ModelWeights> reload, String modelName, CpuEngine requested) {
        this.config = c;
        this.spec = family.spec(c);
        this.rotary = spec.rotary() == null ? null
                : new Rotary(spec.rotary(), c.headDim(), c.contextLength(), manager);
        this.half = precision == Precision.FLOAT16;
        CpuEngine engine = CpuEngine.resolve(requested);
        boolean overridden = engine != requested;
        String why = engine == CpuEngine.LIBTORCH ? null
                : JavaEngineBinding.unavailableReason(layout, store, manager.getDevice(), precision);
        if (engine == CpuEngine.JAVA && why != null) {
            throw new ModelLoadException("the Java CPU engine was asked for" + (overridden
                    ? " (-D" + CpuEngine.PROPERTY + "=java)" : "") + " but cannot run this model: " + why);
        }
        boolean java = engine != CpuEngine.LIBTORCH && why == null;
        SafetensorsDtype kept = JavaEngineBinding.readFromFile(store);
        if (java && kept != null) {
            // The Java engine keeps the 16 bits as stored; libtorch's float32 copy waits for a pass that needs it.
            this.simd = JavaEngineBinding.create(spec, layout, kept);
            this.libtorch = LibtorchWeights.deferred(reload, modelName);
        } else {
            ModelWeights weights = layout.arrays(store, manager);
            this.simd = java ? JavaEngineBinding.create(spec, weights, store) : null;
            this.libtorch = LibtorchWeights.loaded(weights);
        }
        if (simd != null) {
            engineChoice = "the Java CPU engine (" + CpuEngine.threads() + " threads)";
        } else if (engine == CpuEngine.LIBTORCH) {
            engineChoice = "libtorch, as " + (overridden ? "-D" + CpuEngine.PROPERTY + "=libtorch" : "the load option")
                    + " asks";
        } else {
            engineChoice = "libtorch: the Java CPU engine cannot run it, " + why;
        }
    }

    /** libtorch's weights, made now if no pass needed them before. */
    private ModelWeights w() {
        return libtorch.get();
    }

    /** Whether libtorch's weights exist (always, except for a 16-bit checkpoint no libtorch pass has needed yet). */
    boolean libtorchWeightsMade() {
        return libtorch.made();
    }

    /** Whether batch-1 CPU calls with a cache run on the Java CPU engine. */
    boolean javaEngine() {
        return simd != null;
    }

    /** One-row passes the Java CPU engine has run for this model. */
    long javaEnginePasses() {
        return simd == null ? 0 : simd.passes();
    }

    /** Bytes of heap held by the Java CPU engine's copy of the weights; 0 without the engine. */
    long javaEngineWeightBytes() {
        return simd == null ? 0 : simd.weightBytes();
    }

    /** Which engine runs one-row CPU passes, and why (one phrase for the load log line). */
    String engineChoice() {
        return engineChoice;
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
        long maxPosition = checkContext(positions);
        if (batch == 1 && cache != null && simd != null && unpadded(in, cache)) {
            // One row decoding (or prefilling) on the CPU: the Java CPU engine, ~4x fewer hand-offs than libtorch's
            // ~500 operator calls per token and weights streamed at the machine's bandwidth (README Performance).
            return simd.forward(in, cache, hooks, logitsMode, positions);
        }

        // The residual stream is [batch * t, hidden] inside the loop: with 2-D inputs libtorch's linear is one
        // addmm with the bias fused rather than a matmul and a separate bias add. Hooks still see [batch, t, hidden].
        NDArray[][] cosSinOut = new NDArray[1][];
        NDArray x = embed(m, in.flatTokens(), positions, maxPosition, cosSinOut);
        NDArray[] cosSin = cosSinOut[0];

        int[][] fullMask = fullMask(in, cache);
        NDArray attnMask = attentionMask(m, in, fullMask, past);
        HookRows sites = new HookRows(hooks, batch, t, config.hiddenSize(), half, positions, in.promptLengths(), m);
        int lastHooked = hooks.maxLayer();
        // Without logits the pass can stop after the last hooked layer, unless a cache is being filled: a later
        // step would read the skipped layers' keys and values.
        int layersToRun = logitsMode == LogitsMode.NONE && lastHooked >= 0 && cache == null
                ? lastHooked + 1 : w().layers().length;

        x = blocks(x, sites, layersToRun, (h, b, l) -> attention(h, b, l, cache, attnMask, cosSin, batch, t));
        if (cache != null) {
            cache.mask = fullMask;
            in.advance(cache.nextPosition);
        }
        if (logitsMode == LogitsMode.NONE) {
            return null;
        }
        if (logitsMode == LogitsMode.LAST && t > 1) {
            x = x.reshape(batch, t, config.hiddenSize()).get(new NDIndex(":, -1, :"));
        }
        NDArray logits = logits(x);
        return logitsMode == LogitsMode.LAST ? logits : logits.reshape(batch, t, config.vocabSize());
    }

    @Override
    public NDArray decodeRows(NDManager m, long[] tokens, KvCache[] caches, int[] promptLengths, HookSet hooks) {
        int batch = tokens.length;
        long[][] positions = new long[batch][1];
        for (int r = 0; r < batch; r++) {
            positions[r][0] = caches[r].nextPosition[0];
        }
        long maxPosition = checkContext(positions);
        NDArray[][] cosSinOut = new NDArray[1][];
        NDArray x = embed(m, tokens, positions, maxPosition, cosSinOut);
        NDArray[] cosSin = cosSinOut[0];
        HookRows sites = new HookRows(hooks, batch, 1, config.hiddenSize(), half, positions, promptLengths, m);
        x = blocks(x, sites, w().layers().length, (h, b, l) -> attentionRows(h, b, l, caches, cosSin));
        for (KvCache c : caches) {
            c.mask = new int[][] {java.util.Arrays.copyOf(c.mask[0], c.mask[0].length + 1)};
            c.mask[0][c.mask[0].length - 1] = 1;
            c.nextPosition[0]++;
        }
        return logits(x);
    }

    /** Final norm and LM head over {@code [rows, hidden]}: float32 {@code [rows, vocab]}. */
    private NDArray logits(NDArray x) {
        NDArray logits = Linear.linear(norm(x, w().finalNorm()), w().lmHead()).singletonOrThrow();
        return half ? toFloat(logits) : logits;
    }

    /** Attention of one block: normalised input {@code h} to the output after its projection. */
    private interface Attention {
        NDArray apply(NDArray h, ModelWeights.Layer b, int layer);
    }

    /** Token (and learned position) embeddings, {@code [rows, hidden]}; rotary tables into {@code cosSinOut[0]}. */
    private NDArray embed(NDManager m, long[] flatTokens, long[][] positions, long maxPosition,
                          NDArray[][] cosSinOut) {
        int batch = positions.length;
        int t = positions[0].length;
        long rows = (long) batch * t;
        NDArray ids = m.create(flatTokens, new Shape(rows));
        NDArray x = Embedding.embedding(ids, w().embed(), SparseFormat.DENSE).singletonOrThrow();
        if (w().positions() != null) {
            NDArray pos = m.create(embeddingPositions(positions, 1), new Shape(rows));
            x = x.addi(Embedding.embedding(pos, w().positions(), SparseFormat.DENSE).singletonOrThrow());
        } else {
            NDArray[] cosSin = rotary.at(m.create(embeddingPositions(positions, 0), new Shape(batch, t)), maxPosition);
            if (half) { // computed in float32 and then cast, as transformers does
                cosSin = new NDArray[] {toHalf(cosSin[0]), toHalf(cosSin[1])};
            }
            cosSinOut[0] = cosSin;
        }
        return x;
    }

    /** The first {@code layersToRun} blocks over the residual stream {@code x} ({@code [rows, hidden]}). */
    private NDArray blocks(NDArray x, HookRows sites, int layersToRun, Attention attention) {
        for (int l = 0; l < layersToRun; l++) {
            ModelWeights.Layer b = w().layers()[l];
            x = sites.apply(HookPoint.RESID_PRE, l, x);

            NDArray attnOut = attention.apply(norm(x, b.norm1()), b, l);
            attnOut = sites.apply(HookPoint.ATTN_OUT, l, attnOut);
            if (config.parallelResidual()) {
                NDArray mlpOut = sites.apply(HookPoint.MLP_OUT, l, mlp(norm(x, b.norm2()), b));
                x = mlpOut.add(attnOut).addi(x); // transformers' order: mlp + attn + x
            } else {
                x = x.add(attnOut);
                NDArray mlpOut = sites.apply(HookPoint.MLP_OUT, l, mlp(norm(x, b.norm2()), b));
                x = x.add(mlpOut);
            }
            x = sites.apply(HookPoint.RESID_POST, l, x);
        }
        return x;
    }

    private NDArray norm(NDArray x, ModelWeights.Norm n) {
        return spec.norm().apply(x, n.weight(), n.bias(), half);
    }

    /** Causal self-attention with grouped-query heads; keys are cached after RoPE, as transformers does. */
    private NDArray attention(NDArray h, ModelWeights.Layer b, int layer, KvCache cache, NDArray attnMask,
                              NDArray[] cosSin, int batch, int t) {
        NDArray[] qkv = projectQkv(h, b, batch, t, cosSin);
        NDArray q = qkv[0];
        NDArray k = qkv[1];
        NDArray v = qkv[2];
        if (cache != null) {
            NDArray[] kv = cache.append(layer, k, v, h.getManager());
            k = kv[0];
            v = kv[1];
        }
        NDArray ctx = attend(q, k, v, attnMask, batch, t);
        return Linear.linear(ctx, b.outW(), b.outB()).singletonOrThrow();
    }

    /**
     * A decode step's attention for rows that each have their own cache: the projections run as one batch, the
     * score and context products per row over that row's cache (rows differ in length and hold no padding).
     */
    private NDArray attentionRows(NDArray h, ModelWeights.Layer b, int layer, KvCache[] caches, NDArray[] cosSin) {
        int batch = caches.length;
        NDArray[] qkv = projectQkv(h, b, batch, 1, cosSin);
        NDList ctxs = new NDList(batch);
        for (int r = 0; r < batch; r++) {
            NDIndex row = new NDIndex("{}:{}", r, r + 1);
            NDArray[] kv = caches[r].append(layer, qkv[1].get(row), qkv[2].get(row), h.getManager());
            ctxs.add(attend(qkv[0].get(row), kv[0], kv[1], null, 1, 1));
        }
        NDArray ctx = batch == 1 ? ctxs.get(0) : NDArrays.concat(ctxs, 0);
        return Linear.linear(ctx, b.outW(), b.outB()).singletonOrThrow();
    }

    /** q, k, v as {@code [batch, heads, t, headDim]} (keys and values with kvHeads), rotated when rotary. */
    private NDArray[] projectQkv(NDArray h, ModelWeights.Layer b, int batch, int t, NDArray[] cosSin) {
        int heads = config.numHeads();
        int kvHeads = config.numKvHeads();
        int hd = config.headDim();
        long qDim = (long) heads * hd;
        long kvDim = (long) kvHeads * hd;
        NDArray qkv = Linear.linear(h, b.qkvW(), b.qkvB()).singletonOrThrow();
        NDList parts = qkv.split(new long[] {qDim, qDim + kvDim}, 1);
        NDArray q = parts.get(0).reshape(batch, t, heads, hd).transpose(0, 2, 1, 3);
        NDArray k = parts.get(1).reshape(batch, t, kvHeads, hd).transpose(0, 2, 1, 3);
        NDArray v = parts.get(2).reshape(batch, t, kvHeads, hd).transpose(0, 2, 1, 3);
        if (cosSin != null) {
            q = rotary.apply(q, cosSin);
            k = rotary.apply(k, cosSin);
        }
        return new NDArray[] {q, k, v};
    }

    /** Scaled dot-product attention of {@code q} over {@code k}, {@code v}; returns {@code [batch * t, q width]}. */
    private NDArray attend(NDArray q, NDArray k, NDArray v, NDArray attnMask, int batch, int t) {
        int heads = config.numHeads();
        int kvHeads = config.numKvHeads();
        int hd = config.headDim();
        long qDim = (long) heads * hd;
        long s = k.getShape().get(2);
        int group = heads / kvHeads;
        // Grouped-query attention without materialising repeated keys: query heads kv*group .. kv*group+group-1
        // share key head kv (transformers' repeat_kv), so folding the group into the query axis gives
        // [batch, kvHeads, group * t, hd] against [batch, kvHeads, s, hd].
        NDArray qg = group == 1 ? q : q.reshape(batch, kvHeads, (long) group * t, hd);
        NDArray scores = qg.matMul(k.transpose(0, 1, 3, 2));
        if (half) { // scale, mask and softmax in float32: the -1e9 mask and exp() overflow float16
            scores = toFloat(scores);
        }
        if (group != 1) {
            scores = scores.reshape(batch, heads, t, s);
        }
        // scores is this call's own temporary, so scale and mask in place
        scores.muli((float) (1.0 / Math.sqrt(hd)));
        if (attnMask != null) {
            scores.addi(attnMask);
        }
        NDArray probs = scores.softmax(-1);
        if (half) {
            probs = toHalf(probs);
        }
        if (group != 1) {
            probs = probs.reshape(batch, kvHeads, (long) group * t, s);
        }
        NDArray ctx = probs.matMul(v);
        if (group != 1) {
            ctx = ctx.reshape(batch, heads, t, hd);
        }
        return ctx.transpose(0, 2, 1, 3).reshape((long) batch * t, qDim);
    }

    private NDArray mlp(NDArray h, ModelWeights.Layer b) {
        NDArray up = Linear.linear(h, b.upW(), b.upB()).singletonOrThrow();
        if (spec.gatedMlp()) {
            NDList gu = up.split(2, 1); // gate rows first
            up = spec.activation().apply(gu.get(0)).mul(gu.get(1));
        } else {
            up = spec.activation().apply(up);
        }
        return Linear.linear(up, b.downW(), b.downB()).singletonOrThrow();
    }

    private static boolean unpadded(ForwardInput in, KvCache cache) {
        for (int v : in.mask()[0]) {
            if (v == 0) {
                return false;
            }
        }
        for (int v : cache.mask[0]) {
            if (v == 0) {
                return false;
            }
        }
        return true;
    }

    /** Checks every position against the context; returns the largest. */
    private long checkContext(long[][] positions) {
        long max = 0;
        for (long[] row : positions) {
            for (long p : row) {
                if (p >= config.contextLength()) {
                    throw new IllegalArgumentException("sequence reaches position " + p + " but the model's context is "
                            + config.contextLength() + " tokens");
                }
                max = Math.max(max, p);
            }
        }
        return max;
    }

    /**
     * Positions as gather indices; padding gets {@code padPosition} (GPT-2 uses 1 there as transformers does, any
     * valid row works since a padding slot never reaches a real token).
     */
    private static long[] embeddingPositions(long[][] positions, long padPosition) {
        int t = positions[0].length;
        long[] out = new long[positions.length * t];
        for (int b = 0; b < positions.length; b++) {
            for (int i = 0; i < t; i++) {
                out[b * t + i] = positions[b][i] < 0 ? padPosition : positions[b][i];
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

    private static NDArray toFloat(NDArray x) {
        return x.toType(DataType.FLOAT32, false);
    }

    private static NDArray toHalf(NDArray x) {
        return x.toType(DataType.FLOAT16, false);
    }
}
