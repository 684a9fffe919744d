package io.steer4j.djl.engine.cpu;

import io.steer4j.core.plan.HookPoint;
import io.steer4j.djl.engine.Activation;
import io.steer4j.djl.engine.DecoderSpec;
import io.steer4j.djl.engine.HookRows;
import io.steer4j.djl.engine.Normalization;
import io.steer4j.djl.engine.RotaryAngles;

import io.steer4j.djl.engine.cpu.CpuWeights.Layer;
import io.steer4j.djl.engine.cpu.CpuWeights.Norm;
import io.steer4j.djl.engine.cpu.CpuWeights.Projection;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A decoder's forward pass ({@link DecoderSpec}) for one row on the CPU, written as Java loops over float32 arrays
 * with SIMD kernels from the JDK's Vector API ({@link SimdKernels}) and a spinning thread team ({@link SpinPool}).
 *
 * <p>Why it exists: a batch-1 decode step through libtorch is ~500 operator calls, each paying JNI, dispatch,
 * allocation and an OpenMP fork/join; on a 2-core machine that overhead was more than half of the step, and
 * libtorch's matrix-vector products streamed the weights well below the machine's read bandwidth. Here a step is
 * one pass over the weights with ~5 hand-offs to the thread team per block and no per-operator cost.
 *
 * <p>It keeps the contract of every engine: every hook point runs through {@link HookRows}, keys and values go to the
 * row's {@link CpuKvCache}, and parity tests hold it to the libtorch pass's logits. It holds the copy of the weights it
 * is given ({@link CpuWeights}: float32, or 16-bit matrices widened inside the products); the model keeps its libtorch
 * weights for batches, GPUs and scoring.
 *
 * <pre>{@code
 * CpuDecoder d = CpuDecoder.create(spec, weights);
 * CpuKvCache kv = d.newKv(weights.layers().length, 64, contextLength);
 * float[] logits = d.run(promptIds, 0, kv, null, false);
 * }</pre>
 */
public final class CpuDecoder {
    /** From this many tokens on, a pass's products run the prompt kernel (token panels) instead of dot products. */
    public static final int PROMPT_KERNEL_MIN_TOKENS = SimdKernels.PANEL_MIN_TOKENS;

    private final DecoderSpec c;
    private final Normalization norm;
    private final Activation act;
    /** The token embedding's rows, which are also the head's when it is tied. */
    private final WeightMatrix embed;
    /** Whether some matrix is held in 16 bits or Q8_0, so that its kernels need compiling too. */
    private final boolean halfWeights;
    private final float[] positions;
    private final Layer[] layers;
    private final Norm finalNorm;
    private final Projection head;
    private final RotaryAngles rotary;
    private final AtomicLong passes = new AtomicLong();

    private CpuDecoder(DecoderSpec spec, CpuWeights w) {
        this.c = spec;
        this.norm = spec.norm();
        this.act = spec.activation();
        this.embed = w.embed();
        this.positions = w.positions();
        this.layers = w.layers();
        this.finalNorm = w.finalNorm();
        this.head = w.head();
        this.rotary = spec.rotary();
        boolean half = !(embed instanceof Float32Matrix) || !(head.w() instanceof Float32Matrix);
        for (Layer b : layers) {
            for (Projection p : new Projection[] {b.qkv(), b.out(), b.up(), b.down()}) {
                half |= !(p.w() instanceof Float32Matrix);
            }
        }
        this.halfWeights = half;
        int d = spec.hidden();
        int qDim = spec.heads() * spec.headDim();
        int qkvOut = qDim + 2 * spec.kvHeads() * spec.headDim();
        int inner = spec.intermediate();
        for (int l = 0; l < layers.length; l++) {
            Layer b = layers[l];
            check(b.qkv(), qkvOut, d, l, "qkv");
            check(b.out(), d, qDim, l, "attention output");
            check(b.up(), spec.gatedMlp() ? 2 * inner : inner, d, l, "MLP up");
            check(b.down(), d, inner, l, "MLP down");
        }
        check(head, spec.vocab(), d, -1, "head");
        if (embed.rows() != spec.vocab() || embed.cols() != d) {
            throw new IllegalArgumentException("the token embedding is " + embed.rows() + " x " + embed.cols()
                    + ", expected " + spec.vocab() + " x " + d);
        }
    }

    private static void check(Projection p, int out, int in, int layer, String what) {
        if (p.out() != out || p.in() != in) {
            throw new IllegalArgumentException((layer < 0 ? "the " : "layer " + layer + "'s ") + what + " projection is "
                    + p.out() + " x " + p.in() + ", expected " + out + " x " + in);
        }
    }

    /**
     * The engine for a decoder. Nothing starts here: the worker team ({@link SpinPool#shared}) and the kernels'
     * compilation ({@link KernelWarmUp#warmUpInBackground}) start with the first pass of the process. Loading used to
     * run decode steps until the JIT settled (0.3 to 3 s; on a busy 2-core machine the kernels alone took 2-3 s),
     * which made a short CLI run slower than libtorch even when it ran no one-row pass at all (the demo generates in
     * batches); throwaway work never shortens a run, it only moves time from the first generation to loading.
     *
     * @throws IllegalArgumentException when a weight's shape does not match {@code spec}
     */
    public static CpuDecoder create(DecoderSpec spec, CpuWeights weights) {
        return new CpuDecoder(spec, weights);
    }

    /** An empty key/value store for one row of this decoder; see {@link io.steer4j.djl.engine.KvSlots.Factory}. */
    public CpuKvCache newKv(int layers, int capacity, int limit) {
        return new CpuKvCache(layers, c.kvHeads(), c.headDim(), capacity, limit);
    }

    /** One-row passes this engine has run (tests use it to show the engine really ran). */
    public long passes() {
        return passes.get();
    }

    /**
     * The forward pass over {@code tokens} at positions {@code start, start+1, ...}, after the {@code kv.filled()}
     * slots of {@code kv} (room for the new ones reserved by the caller), which it fills.
     *
     * @param sites     the pass's hooks ({@code [1, t, hidden]} rows), or null when it has none
     * @param allLogits every token's logits ({@code [t * vocab]}) instead of the last one's
     * @return the logits, float32
     */
    public float[] run(long[] tokens, int start, CpuKvCache kv, HookRows sites, boolean allLogits) {
        passes.incrementAndGet();
        KernelWarmUp.warmUpInBackground();
        if (halfWeights) {
            KernelWarmUp.halfKernelsInBackground();
        }
        int t = tokens.length;
        int d = c.hidden();
        int past = kv.filled();
        float[] x = new float[t * d];
        for (int j = 0; j < t; j++) {
            int tok = (int) tokens[j];
            embed.widenRow(tok, x, j * d);
            if (positions != null) {
                int p = (start + j) * d;
                for (int i = 0; i < d; i++) {
                    x[j * d + i] += positions[p + i];
                }
            }
        }
        float[][] cosSin = rotary == null ? null : rotaryTables(start, t);
        for (int l = 0; l < layers.length; l++) {
            Layer b = layers[l];
            x = site(sites, HookPoint.RESID_PRE, l, x);
            float[] attn = attention(normed(x, t, b.norm1()), t, past, l, kv, cosSin);
            attn = site(sites, HookPoint.ATTN_OUT, l, attn);
            if (c.parallelResidual()) { // transformers' order: mlp + attn + x
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
        kv.filled(past + t);
        int rows = allLogits ? t : 1;
        float[] last = new float[rows * d];
        System.arraycopy(x, (t - rows) * d, last, 0, rows * d);
        return matmul(normed(last, rows, finalNorm), rows, head);
    }

    private static float[] site(HookRows sites, HookPoint p, int layer, float[] x) {
        return sites == null ? x : sites.apply(p, layer, x);
    }

    /** cos and sin of each position's angles, {@code [t][dims / 2]}, as {@link RotaryAngles#tables} rounds them. */
    private float[][] rotaryTables(int start, int t) {
        int half = rotary.dims() / 2;
        float[] cos = new float[t * half];
        float[] sin = new float[t * half];
        rotary.tables(start, t, cos, sin);
        return new float[][] {cos, sin};
    }

    /** Attention of one block for {@code t} new tokens after {@code past} cached ones; output after projection. */
    private float[] attention(float[] h, int t, int past, int layer, CpuKvCache kv, float[][] cosSin) {
        Layer b = layers[layer];
        int heads = c.heads();
        int kvHeads = c.kvHeads();
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
                rotary.rotate(qkv, row, heads, hd, cosSin[0], cosSin[1], j);
                rotary.rotate(qkv, row + qDim, kvHeads, hd, cosSin[0], cosSin[1], j);
            }
            for (int g = 0; g < kvHeads; g++) {
                System.arraycopy(qkv, row + qDim + g * hd, keys, kv.at(g, past + j), hd);
                System.arraycopy(qkv, row + qDim + kvDim + g * hd, values, kv.at(g, past + j), hd);
            }
        }
        float[] ctx = new float[t * qDim];
        int group = heads / kvHeads;
        float scale = (float) (1.0 / Math.sqrt(hd));
        if (t >= SimdKernels.PANEL_MIN_TOKENS) { // prompt processing: panels of queries, see attendPanel
            int lanes = SimdKernels.panelWidth();
            int panels = SimdKernels.panels(t);
            int work = heads * panels;
            SpinPool.shared().run((part, parts) -> {
                float[] qP = new float[hd * lanes];
                float[] sc = new float[(past + panels * lanes) * lanes];
                for (int w = work * part / parts; w < work * (part + 1) / parts; w++) {
                    int p = w / heads;
                    int head = w % heads;
                    int j0 = p * lanes;
                    AttentionKernels.attendPanel(qkv, width, head * hd, j0, Math.min(lanes, t - j0), keys, values,
                            kv.at(head / group, 0), past, hd, scale, qP, sc, ctx, qDim, head * hd);
                }
            });
            return matmul(ctx, t, b.out());
        }
        int work = heads * t;
        SpinPool.shared().run((part, parts) -> {
            float[] scores = new float[past + t];
            for (int w = work * part / parts; w < work * (part + 1) / parts; w++) {
                int j = w / heads;
                int head = w % heads;
                // causal: the cached slots and the new tokens up to this one; this head's slots are contiguous
                AttentionKernels.attendHead(qkv, j * width + head * hd, keys, values, kv.at(head / group, 0),
                        past + j + 1, hd, scale, scores, ctx, j * qDim + head * hd);
            }
        });
        return matmul(ctx, t, b.out());
    }

    private float[] mlp(float[] h, int t, Layer b) {
        float[] up = matmul(h, t, b.up());
        int inner = c.intermediate();
        if (!c.gatedMlp()) {
            act.applyInPlace(up, 0, up.length);
            return matmul(up, t, b.down());
        }
        float[] gu = new float[t * inner];
        for (int j = 0; j < t; j++) { // gate rows first, then up rows: act(gate) * up
            int row = j * 2 * inner;
            act.applyInPlace(up, row, row + inner);
            for (int i = 0; i < inner; i++) {
                gu[j * inner + i] = up[row + i] * up[row + inner + i];
            }
        }
        return matmul(gu, t, b.down());
    }

    /**
     * {@code x [t, in] @ m.w^T + m.b}: rows of the weight split over the thread team. Float32 weights go to the float
     * kernels as they are. 16-bit weights (bfloat16, float16) and Q8_0: one token (a decode step, bound by reading the
     * weights) runs the format's own kernel, which widens each loaded vector in registers; more tokens widen the part's rows a block
     * at a time into float32 scratch and run the float kernels on the block, so each weight is read and widened once
     * per pass however many tokens there are (the one-token kernels would read every row once per token), and each output
     * is the float32 kernels' sum over the widened weights.
     */
    static float[] matmul(float[] x, int t, Projection m) {
        float[] y = new float[t * m.out()];
        int out = m.out();
        int in = m.in();
        float[] xP = t >= SimdKernels.PANEL_MIN_TOKENS ? packed(x, t, in) : null;
        if (m.w() instanceof Float32Matrix f) {
            float[][] w = f.values();
            SpinPool.shared().run((part, parts) -> {
                int r0 = rowStart(out, part, parts);
                int r1 = rowStart(out, part + 1, parts);
                if (xP != null) {
                    SimdKernels.matmulPanels(x, xP, t, in, w, m.b(), y, out, r0, r1);
                } else {
                    SimdKernels.matmulRows(x, t, in, w, m.b(), y, out, r0, r1);
                }
            });
            return y;
        }
        if (t == 1 && m.w() instanceof Bfloat16Matrix h) {
            float[] even = new float[in / 2];
            float[] odd = new float[in / 2];
            QuantizedKernels.deinterleave(x, in, even, odd);
            SpinPool.shared().run((part, parts) -> QuantizedKernels.matvecBf16(even, odd, in, h.packed(), m.b(), y,
                    rowStart(out, part, parts), rowStart(out, part + 1, parts)));
            return y;
        }
        if (t == 1 && m.w() instanceof Float16Matrix h) {
            float[] even = new float[in / 2];
            float[] odd = new float[in / 2];
            QuantizedKernels.deinterleave(x, in, even, odd);
            SpinPool.shared().run((part, parts) -> QuantizedKernels.matvecF16(even, odd, in, h.packed(), m.b(), y,
                    rowStart(out, part, parts), rowStart(out, part + 1, parts)));
            return y;
        }
        if (t == 1 && m.w() instanceof Q8Matrix h) {
            SpinPool.shared().run((part, parts) -> QuantizedKernels.matvecQ8(x, in, h.q(), h.d(), m.b(), y,
                    rowStart(out, part, parts), rowStart(out, part + 1, parts)));
            return y;
        }
        WeightMatrix w = m.w();
        SpinPool.shared().run((part, parts) -> {
            int r0 = rowStart(out, part, parts);
            int r1 = rowStart(out, part + 1, parts);
            if (r0 >= r1) {
                return;
            }
            int block = widenBlockRows(in);
            float[][] scratch = new float[Math.min(block, r1 - r0)][in];
            // the float kernels address rows by their index in the whole matrix: this block's rows sit there
            float[][] window = new float[r1][];
            for (int b0 = r0; b0 < r1; b0 += block) {
                int b1 = Math.min(r1, b0 + block);
                for (int r = b0; r < b1; r++) {
                    w.widenRow(r, scratch[r - b0], 0);
                    window[r] = scratch[r - b0];
                }
                if (xP != null) {
                    SimdKernels.matmulPanels(x, xP, t, in, window, m.b(), y, out, b0, b1);
                } else {
                    SimdKernels.matmulRows(x, t, in, window, m.b(), y, out, b0, b1);
                }
            }
        });
        return y;
    }

    /**
     * The first row of part {@code part} of {@code parts}: parts split on multiples of 16 rows, so that no two
     * threads write one cache line of y.
     */
    private static int rowStart(int out, int part, int parts) {
        int blocks = (out + 15) / 16;
        return Math.min(out, blocks * part / parts * 16);
    }

    /**
     * Bytes of float32 rows widened at a time for a pass of several tokens over 16-bit or Q8_0 weights: they stay in L2
     * beside a block of packed tokens (a smaller block would re-read the packed tokens once per block).
     */
    private static final int WIDEN_BYTES = 1 << 20;

    /**
     * Rows widened per block: about {@link #WIDEN_BYTES} of floats, a multiple of 8 so that the float kernels
     * tile a block's rows in eights as they would tile the whole part.
     */
    static int widenBlockRows(int in) {
        return Math.max(8, WIDEN_BYTES / (4 * in) / 8 * 8);
    }

    /** {@code x [t, in]} packed for the prompt kernel ({@link SimdKernels#packPanels}), panels split over the team. */
    private static float[] packed(float[] x, int t, int in) {
        int np = SimdKernels.panels(t);
        float[] xP = new float[np * in * SimdKernels.panelWidth()];
        SpinPool.shared().run((part, parts) -> SimdKernels.packPanels(x, t, in, xP, np * part / parts,
                np * (part + 1) / parts));
        return xP;
    }

    /** {@link Normalization} of each of the {@code t} rows of {@code x}. */
    private float[] normed(float[] x, int t, Norm n) {
        return norm.apply(x, t, c.hidden(), n.w(), n.b());
    }
}
