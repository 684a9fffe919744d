package io.steer4j.djl.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.steer4j.core.plan.HookPoint;
import io.steer4j.djl.hooks.ActivationHook;
import io.steer4j.djl.hooks.FloatActivationHook;
import io.steer4j.djl.hooks.HookSet;
import io.steer4j.djl.hooks.HookSite;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * The same decoder forward pass as {@link BlockTransformer}, for one row on the CPU, written as Java loops over
 * float32 arrays with SIMD kernels from the JDK's Vector API ({@link SimdKernels}) and a spinning thread team
 * ({@link SpinPool}).
 *
 * <p>Why it exists: a batch-1 decode step through libtorch is ~500 operator calls, each paying JNI, dispatch,
 * allocation and an OpenMP fork/join; on a 2-core machine that overhead was more than half of the step, and
 * libtorch's matrix-vector products streamed the weights well below the machine's read bandwidth. Here a step is
 * one pass over the weights with ~5 hand-offs to the thread team per block and no per-operator cost.
 *
 * <p>It keeps the contract of the libtorch pass: every hook point runs (the activation is handed to the hooks as
 * an NDArray {@code [1, t, hidden]} and read back, so hooks and plans are unchanged), keys and values go to the
 * call's {@link KvCache} (its Java-side copy, synchronised with the libtorch buffers when the other path
 * continues the same cache), and parity tests hold both paths to the same logits. It holds its own float32 copy
 * of the weights on the heap, one array per weight row, read from the checkpoint file ({@link WeightStore#rows};
 * norms and biases through {@link WeightStore#floats}); the libtorch weights
 * (a zero-copy mapping of the same file, left unread while only this path runs) stay for batches, GPUs and
 * scoring.
 */
final class SimdDecoder {
    private static final Logger LOG = LoggerFactory.getLogger(SimdDecoder.class);

    /** A projection: {@code w} holds the {@code out} rows of the {@code [out, in]} weight; {@code b}, bias or null. */
    private record Projection(float[][] w, float[] b, int out, int in) {
    }

    /** LayerNorm ({@code b} non-null) or RMSNorm ({@code b} null) weight; see {@link #layerNorm}. */
    private record Norm(float[] w, float[] b) {
    }

    private record Layer(Norm norm1, Norm norm2, Projection qkv, Projection out, Projection up, Projection down) {
    }

    private enum Act { GELU_TANH, GELU_ERF, SILU, RELU }

    private final ModelConfig c;
    private final boolean layerNorm;
    private final boolean gated;
    private final Act act;
    private final float eps;
    /** The token embedding's rows, which are also the head's when it is tied. */
    private final float[][] embed;
    private final float[] positions;
    private final Layer[] layers;
    private final Norm finalNorm;
    private final Projection head;
    private final float[] invFreq;
    private final int rotaryDims;
    private final java.util.concurrent.atomic.AtomicLong passes = new java.util.concurrent.atomic.AtomicLong();

    private SimdDecoder(ModelConfig c, ModelFamily family, ModelWeights w, WeightStore store) {
        this.c = c;
        this.layerNorm = family.norm() == ModelFamily.NormKind.LAYER_NORM;
        this.gated = family.mlp() == ModelFamily.Mlp.GATED;
        this.act = switch (c.activation()) {
            case "gelu_new", "gelu_pytorch_tanh", "gelu_fast" -> Act.GELU_TANH;
            case "gelu" -> Act.GELU_ERF;
            case "silu", "swish" -> Act.SILU;
            case "relu" -> Act.RELU;
            // BlockTransformer refuses other names before this runs; never guess an activation
            default -> throw new ModelLoadException("unsupported activation " + ConfigValueText.of(c.activation()));
        };
        this.eps = (float) c.layerNormEps();
        int d = c.hiddenSize();
        this.embed = store.rows(w.embed());
        this.positions = store.floats(w.positions());
        this.layers = new Layer[w.layers().length];
        for (int l = 0; l < layers.length; l++) {
            ModelWeights.Layer b = w.layers()[l];
            int qkvOut = (c.numHeads() + 2 * c.numKvHeads()) * c.headDim();
            int inner = c.intermediateSize();
            layers[l] = new Layer(norm(store, b.norm1()), norm(store, b.norm2()),
                    mat(store, b.qkvW(), b.qkvB(), qkvOut, d),
                    mat(store, b.outW(), b.outB(), d, c.numHeads() * c.headDim()),
                    mat(store, b.upW(), b.upB(), gated ? 2 * inner : inner, d),
                    mat(store, b.downW(), b.downB(), d, inner));
        }
        this.finalNorm = norm(store, w.finalNorm());
        this.head = w.lmHead() == w.embed() ? new Projection(embed, null, c.vocabSize(), d)
                : mat(store, w.lmHead(), null, c.vocabSize(), d);
        this.invFreq = c.rope() == null ? null : c.rope().inverseFrequencies();
        this.rotaryDims = c.rope() == null ? 0 : c.rope().dims();
    }

    /**
     * Why the Java engine cannot run a model with these weights, or null when it can: the Vector API module is
     * absent, the weights are not float32 on the CPU, or their float32 copy would not fit the heap.
     */
    static String unavailableReason(ModelWeights w) {
        if (w.embed().getDevice().isGpu()) {
            return "the weights are on a GPU";
        }
        if (w.embed().getDataType() != DataType.FLOAT32) {
            return "the weights are " + w.embed().getDataType() + ", not float32";
        }
        if (!CpuEngine.javaEngineAvailable()) {
            return "the JVM was started without the flag " + CpuEngine.JVM_FLAG + " (add it for the faster engine)";
        }
        long floats = w.embed().size() + (w.positions() == null ? 0 : w.positions().size())
                + (w.lmHead() == w.embed() ? 0 : w.lmHead().size());
        for (ModelWeights.Layer b : w.layers()) {
            for (NDArray a : new NDArray[] {b.qkvW(), b.outW(), b.upW(), b.downW()}) {
                if (a.size() >= Integer.MAX_VALUE) {
                    return "a weight has more than 2^31 values";
                }
                floats += a.size();
            }
        }
        Runtime rt = Runtime.getRuntime();
        long free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        if (4 * floats > free / 10 * 8 || w.embed().size() >= Integer.MAX_VALUE) {
            return "its float32 copy of the weights (" + (4 * floats >> 20) + " MB) would not fit the heap's "
                    + (free >> 20) + " MB free (raise -Xmx to use it)";
        }
        return null;
    }

    /**
     * The Java engine for a loaded model whose {@link #unavailableReason} is null. Nothing starts here: the worker
     * team ({@link SpinPool#shared}) and the kernels' compilation ({@link SimdKernels#warmUpInBackground}) start
     * with the first pass of the process. Loading used to run decode steps until the JIT settled (0.3 to 3 s; on a
     * busy 2-core machine the kernels alone took 2-3 s), which made a short CLI run slower than libtorch even
     * when it ran no one-row pass at all (the demo generates in batches); throwaway work never shortens a run, it
     * only moves time from the first generation to loading.
     */
    static SimdDecoder create(ModelConfig c, ModelFamily family, ModelWeights w, WeightStore store) {
        return new SimdDecoder(c, family, w, store);
    }

    /** One-row passes this engine has run (tests use it to show the engine really ran). */
    long passes() {
        return passes.get();
    }

    private static Projection mat(WeightStore store, NDArray w, NDArray b, int out, int in) {
        float[][] f = store.rows(w); // a transposed view (GPT-2's Conv1D) comes out in logical [out, in] order
        if (f.length != out || f[0].length != in) {
            throw new IllegalStateException("weight of " + f.length + " x " + f[0].length + " floats, expected "
                    + out + " x " + in);
        }
        return new Projection(f, store.floats(b), out, in);
    }

    private static Norm norm(WeightStore store, ModelWeights.Norm n) {
        return new Norm(store.floats(n.weight()), store.floats(n.bias()));
    }

    /**
     * The {@link BlockTransformer#forward} contract for one unpadded row with a cache: runs the tokens of
     * {@code in} after the cached ones, writes their keys and values to {@code cache}, runs the hooks.
     */
    NDArray forward(ForwardInput in, KvCache cache, HookSet hooks, LogitsMode mode, long[][] logicalPositions) {
        NDManager m = in.manager();
        long[] tokens = in.flatTokens();
        int t = tokens.length;
        int past = cache.length();
        passes.incrementAndGet();
        SimdKernels.warmUpInBackground();
        JavaKvCache kv = cache.javaKv(past + t, c.numKvHeads(), c.headDim());
        HookRunner sites = hooks.isEmpty() ? null
                : new HookRunner(hooks, t, c.hiddenSize(), logicalPositions, in.promptLengths(), m);
        float[] logits = run(tokens, (int) cache.nextPosition[0], kv, sites, mode == LogitsMode.ALL);
        int[] mask = java.util.Arrays.copyOf(cache.mask[0], past + t);
        java.util.Arrays.fill(mask, past, past + t, 1);
        cache.mask = new int[][] {mask};
        in.advance(cache.nextPosition);
        if (mode == LogitsMode.NONE) {
            return null;
        }
        if (mode == LogitsMode.LAST && cache.hostLogitsWanted()) {
            cache.hostLogits(logits);
            return null;
        }
        return mode == LogitsMode.LAST ? m.create(logits, new Shape(1, c.vocabSize()))
                : m.create(logits, new Shape(1, t, c.vocabSize()));
    }

    /**
     * The forward pass over {@code tokens} at positions {@code start, start+1, ...}, with {@code kv} holding the
     * first {@code start} slots. Returns the last token's logits, or every token's when {@code allLogits}.
     */
    private float[] run(long[] tokens, int start, JavaKvCache kv, HookRunner sites, boolean allLogits) {
        int t = tokens.length;
        int d = c.hiddenSize();
        int past = kv.slots;
        float[] x = new float[t * d];
        for (int j = 0; j < t; j++) {
            int tok = (int) tokens[j];
            System.arraycopy(embed[tok], 0, x, j * d, d);
            if (positions != null) {
                int p = (start + j) * d;
                for (int i = 0; i < d; i++) {
                    x[j * d + i] += positions[p + i];
                }
            }
        }
        float[][] cosSin = invFreq == null ? null : rotaryTables(start, t);
        for (int l = 0; l < layers.length; l++) {
            Layer b = layers[l];
            x = site(sites, HookPoint.RESID_PRE, l, x);
            float[] attn = attention(normed(x, t, b.norm1()), t, past, l, kv, cosSin);
            attn = site(sites, HookPoint.ATTN_OUT, l, attn);
            if (c.parallelResidual()) {
                float[] mlp = site(sites, HookPoint.MLP_OUT, l, mlp(normed(x, t, b.norm2()), t, b));
                for (int i = 0; i < x.length; i++) {
                    x[i] = mlp[i] + attn[i] + x[i];
                }
            } else {
                for (int i = 0; i < x.length; i++) {
                    x[i] += attn[i];
                }
                float[] mlp = site(sites, HookPoint.MLP_OUT, l, mlp(normed(x, t, b.norm2()), t, b));
                for (int i = 0; i < x.length; i++) {
                    x[i] += mlp[i];
                }
            }
            x = site(sites, HookPoint.RESID_POST, l, x);
        }
        kv.slots = past + t;
        int rows = allLogits ? t : 1;
        float[] last = new float[rows * d];
        System.arraycopy(x, (t - rows) * d, last, 0, rows * d);
        return matmul(normed(last, rows, finalNorm), rows, head);
    }

    private float[] site(HookRunner sites, HookPoint p, int layer, float[] x) {
        return sites == null ? x : sites.apply(p, layer, x);
    }

    /** cos and sin of each position's angles, {@code [t][dims / 2]}, rounded as {@link Rotary} rounds them. */
    private float[][] rotaryTables(int start, int t) {
        int half = rotaryDims / 2;
        float[] cos = new float[t * half];
        float[] sin = new float[t * half];
        for (int j = 0; j < t; j++) {
            for (int i = 0; i < half; i++) {
                float angle = (float) (start + j) * invFreq[i];
                cos[j * half + i] = (float) Math.cos(angle);
                sin[j * half + i] = (float) Math.sin(angle);
            }
        }
        return new float[][] {cos, sin};
    }

    /** The rotate-half RoPE of {@code heads} heads of token {@code j}, in place, starting at {@code off}. */
    private void rotate(float[] v, int off, int heads, float[][] cosSin, int j) {
        int hd = c.headDim();
        int half = rotaryDims / 2;
        for (int h = 0; h < heads; h++) {
            int base = off + h * hd;
            for (int i = 0; i < half; i++) {
                float co = cosSin[0][j * half + i];
                float si = cosSin[1][j * half + i];
                float x1 = v[base + i];
                float x2 = v[base + half + i];
                v[base + i] = x1 * co - x2 * si;
                v[base + half + i] = x2 * co + x1 * si;
            }
        }
    }

    /** Attention of one block for {@code t} new tokens after {@code past} cached ones; output after projection. */
    private float[] attention(float[] h, int t, int past, int layer, JavaKvCache kv, float[][] cosSin) {
        Layer b = layers[layer];
        int heads = c.numHeads();
        int kvHeads = c.numKvHeads();
        int hd = c.headDim();
        int qDim = heads * hd;
        int kvDim = kvHeads * hd;
        int width = qDim + 2 * kvDim;
        float[] qkv = matmul(h, t, b.qkv());
        float[] keys = kv.keys[layer];
        float[] values = kv.values[layer];
        for (int j = 0; j < t; j++) {
            int row = j * width;
            if (cosSin != null) {
                rotate(qkv, row, heads, cosSin, j);
                rotate(qkv, row + qDim, kvHeads, cosSin, j);
            }
            for (int g = 0; g < kvHeads; g++) {
                System.arraycopy(qkv, row + qDim + g * hd, keys, kv.at(g, past + j), hd);
                System.arraycopy(qkv, row + qDim + kvDim + g * hd, values, kv.at(g, past + j), hd);
            }
        }
        float[] ctx = new float[t * qDim];
        int group = heads / kvHeads;
        float scale = (float) (1.0 / Math.sqrt(hd));
        int work = heads * t;
        SpinPool.shared().run((part, parts) -> {
            float[] scores = new float[past + t];
            for (int w = work * part / parts; w < work * (part + 1) / parts; w++) {
                int j = w / heads;
                int head = w % heads;
                // causal: the cached slots and the new tokens up to this one; this head's slots are contiguous
                SimdKernels.attendHead(qkv, j * width + head * hd, keys, values, kv.at(head / group, 0),
                        past + j + 1, hd, scale, scores, ctx, j * qDim + head * hd);
            }
        });
        return matmul(ctx, t, b.out());
    }

    private float[] mlp(float[] h, int t, Layer b) {
        float[] up = matmul(h, t, b.up());
        int inner = c.intermediateSize();
        if (!gated) {
            activate(up, 0, up.length);
            return matmul(up, t, b.down());
        }
        float[] gu = new float[t * inner];
        for (int j = 0; j < t; j++) { // gate rows first, then up rows: act(gate) * up
            int row = j * 2 * inner;
            activate(up, row, row + inner);
            for (int i = 0; i < inner; i++) {
                gu[j * inner + i] = up[row + i] * up[row + inner + i];
            }
        }
        return matmul(gu, t, b.down());
    }

    private void activate(float[] v, int from, int to) {
        switch (act) {
            case GELU_TANH -> SimdKernels.geluTanh(v, from, to);
            case SILU -> SimdKernels.silu(v, from, to);
            case RELU -> {
                for (int i = from; i < to; i++) {
                    v[i] = Math.max(v[i], 0f);
                }
            }
            case GELU_ERF -> {
                for (int i = from; i < to; i++) {
                    v[i] = (float) (0.5 * v[i] * (1 + Erf.erf(v[i] / Math.sqrt(2))));
                }
            }
        }
    }

    /** {@code x [t, in] @ m.w^T + m.b}: rows of the weight split over the thread team. */
    private float[] matmul(float[] x, int t, Projection m) {
        float[] y = new float[t * m.out()];
        int out = m.out();
        float[] xT = t >= SimdKernels.PANEL_MIN_TOKENS ? SimdKernels.tokensMajor(x, t, m.in()) : null;
        SpinPool.shared().run((part, parts) -> {
            // split on multiples of 16 rows so that no two threads write one cache line of y
            int blocks = (out + 15) / 16;
            int r0 = Math.min(out, blocks * part / parts * 16);
            int r1 = Math.min(out, blocks * (part + 1) / parts * 16);
            if (xT != null) {
                SimdKernels.matmulPanels(x, xT, t, m.in(), m.w(), m.b(), y, out, r0, r1);
            } else {
                SimdKernels.matmulRows(x, t, m.in(), m.w(), m.b(), y, out, r0, r1);
            }
        });
        return y;
    }

    /** LayerNorm (biased variance, as torch) or RMSNorm ({@code x / sqrt(mean(x^2) + eps) * w}) of each row. */
    private float[] normed(float[] x, int t, Norm n) {
        int d = c.hiddenSize();
        float[] y = new float[t * d];
        for (int j = 0; j < t; j++) {
            int o = j * d;
            if (layerNorm) {
                double mean = 0;
                for (int i = 0; i < d; i++) {
                    mean += x[o + i];
                }
                mean /= d;
                double var = 0;
                for (int i = 0; i < d; i++) {
                    double e = x[o + i] - mean;
                    var += e * e;
                }
                float inv = (float) (1.0 / Math.sqrt(var / d + eps));
                float mu = (float) mean;
                for (int i = 0; i < d; i++) {
                    y[o + i] = (x[o + i] - mu) * inv * n.w()[i] + n.b()[i];
                }
            } else {
                double ss = 0;
                for (int i = 0; i < d; i++) {
                    ss += (double) x[o + i] * x[o + i];
                }
                float rms = (float) Math.sqrt((float) (ss / d) + eps);
                for (int i = 0; i < d; i++) {
                    y[o + i] = x[o + i] / rms * n.w()[i];
                }
            }
        }
        return y;
    }

    /**
     * Keys and values of one row, head-major ({@code [kvHeads][capacity][headDim]} per layer, the libtorch
     * buffers' order), as the Java CPU engine reads them: one head's slots are one contiguous run, so attention
     * streams them instead of gathering a head's 64 floats from every slot. A {@link KvCache} holds one beside
     * its libtorch buffers.
     */
    static final class JavaKvCache {
        final float[][] keys;
        final float[][] values;
        /** Filled slots. */
        int slots;
        final int kvHeads;
        final int headDim;
        private int capacity;
        private final int limit;

        JavaKvCache(int layers, int kvHeads, int headDim, int capacity, int limit) {
            this.kvHeads = kvHeads;
            this.headDim = headDim;
            this.capacity = capacity;
            this.limit = limit;
            this.keys = new float[layers][kvHeads * capacity * headDim];
            this.values = new float[layers][kvHeads * capacity * headDim];
        }

        int capacity() {
            return capacity;
        }

        /** Offset of {@code slot} of key/value head {@code head} in a layer's array. */
        int at(int head, int slot) {
            return (head * capacity + slot) * headDim;
        }

        /** Makes room for {@code needed} slots, doubling (up to the context) so growth costs O(1) per token. */
        void reserve(int needed) {
            if (needed <= capacity) {
                return;
            }
            int grown = Math.max(needed, Math.min(limit, 2 * capacity));
            for (int l = 0; l < keys.length; l++) {
                keys[l] = regrow(keys[l], grown);
                values[l] = regrow(values[l], grown);
            }
            capacity = grown;
        }

        private float[] regrow(float[] old, int grown) {
            float[] a = new float[kvHeads * grown * headDim];
            for (int h = 0; h < kvHeads; h++) {
                System.arraycopy(old, h * capacity * headDim, a, h * grown * headDim, slots * headDim);
            }
            return a;
        }
    }

    /** Runs the hooks of a site on the activation as an NDArray {@code [1, t, hidden]}, as the libtorch pass does. */
    private record HookRunner(HookSet hooks, int t, int hidden, long[][] positions, int[] promptLengths, NDManager m) {
        float[] apply(HookPoint p, int layer, float[] flat) {
            List<ActivationHook> hs = hooks.at(p, layer);
            if (hs.isEmpty()) {
                return flat;
            }
            HookSite site = new HookSite(p, layer, 1, t, positions, promptLengths, m);
            float[] out = flat;
            for (ActivationHook h : hs) {
                if (h instanceof FloatActivationHook f) {
                    f.applyInPlace(site, out); // steering plans: no NDArray at all
                    continue;
                }
                NDArray y = BlockTransformer.applyHook(h, site, m.create(out, new Shape(1, t, hidden)), m);
                out = y.toType(DataType.FLOAT32, false).toFloatArray();
            }
            return out;
        }
    }
}
