package io.steer4j.djl.engine.cpu;

import io.steer4j.djl.engine.Activation;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Compiles the Java CPU engine's kernels ({@link SimdKernels}, {@link AttentionKernels}, the activations) once per
 * JVM by calling them on small arrays, on a background thread started by the process's first pass.
 */
final class KernelWarmUp {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private KernelWarmUp() {
    }

    private static volatile boolean warmed;
    private static final java.util.concurrent.atomic.AtomicBoolean warmUpStarted =
            new java.util.concurrent.atomic.AtomicBoolean();
    private static final java.util.concurrent.atomic.AtomicBoolean halfWarmUpStarted =
            new java.util.concurrent.atomic.AtomicBoolean();

    /**
     * Runs {@link #warmUp} once per JVM on a low-priority daemon thread, so that the kernels are compiled while
     * the caller goes on loading (tokenizer, libtorch weights) or computing on libtorch; passes that start before
     * it ends run the same kernels meanwhile, which only brings their compilation forward.
     */
    static void warmUpInBackground() {
        if (!warmed) {
            startOnce(warmUpStarted, KernelWarmUp::warmUp, "steer4j-cpu-warm-up");
        }
    }

    /**
     * The same for {@link QuantizedKernels#warmUp}, the 16-bit and Q8_0 kernels: the decoder starts it with its first
     * pass when it holds 16-bit or Q8_0 weights.
     */
    static void halfKernelsInBackground() {
        startOnce(halfWarmUpStarted, QuantizedKernels::warmUp, "steer4j-cpu-warm-up-16bit");
    }

    private static void startOnce(java.util.concurrent.atomic.AtomicBoolean started, Runnable warmUp, String name) {
        if (!started.compareAndSet(false, true)) {
            return;
        }
        Thread t = new Thread(warmUp, name);
        t.setDaemon(true);
        t.setPriority(Thread.MIN_PRIORITY);
        t.start();
    }

    /** Calls per kernel in {@link #warmUp}: past C2's invocation threshold (a few thousand) with margin. */
    private static final int WARM_CALLS = 12_000;

    /**
     * Calls every kernel on small arrays until the JIT's optimising compiler has compiled it, once per JVM.
     *
     * <p>Why: Vector API code runs ~1000x slower until C2 compiles it (the interpreter and C1 allocate an object
     * per vector operation), and C2 compiles a method only after thousands of calls. A model's decode steps call
     * the decode kernels thousands of times a second, but prompt kernels run once per prompt pass; on a tiny
     * model a 16-token prompt took 60 ms instead of 0.5 ms for the first dozens of generations. Calls on
     * one-vector rows cost microseconds even before compilation, so this takes well under a second.
     */
    static void warmUp() {
        warmUpStarted.set(true);
        if (warmed) {
            return;
        }
        // two shapes so that every branch is taken (with and without bias, partial panels, leftover rows, row
        // tails): C2 compiles only the branches it saw taken, and a branch seen later deoptimises the method
        Shape a = new Shape(2 * L, 8, 16, true);
        Shape b = new Shape(3 * L + 3, 9, 13, false);
        // the prompt kernel: two input blocks (partial sums kept and resumed), a two-panel tile, a one-panel tile
        // with a partial panel, a leftover row; its loops run 250+ inputs a call, so C2 compiles it after far
        // fewer calls than the others, and it is called every 16th round only
        Shape c = new Shape(SimdKernels.INPUT_BLOCK + 3, 9, 2 * L + 5, true);
        for (int i = 0; i < WARM_CALLS; i++) {
            Shape s = (i & 1) == 0 ? a : b;
            SimdKernels.matmulRows(s.x, 1, s.in, s.rows, s.bias, s.y, s.out, 0, s.out);
            SimdKernels.matmulRows(s.x, 5, s.in, s.rows, s.bias, s.y, s.out, 0, s.out);
            SimdKernels.matmulPanels(s.x, s.xP, s.t, s.in, s.rows, s.bias, s.y, s.out, 0, s.out);
            if ((i & 15) == 0) {
                SimdKernels.matmulPanels(c.x, c.xP, c.t, c.in, c.rows, (i & 16) == 0 ? c.bias : null, c.y, c.out, 0, c.out,
                        SimdKernels.INPUT_BLOCK);
            }
            Activation.GELU_TANH.applyInPlace(s.y, 0, s.in);
            Activation.SILU.applyInPlace(s.y, s.in, 2 * s.in);
            s.y[0] += SimdKernels.dot(s.x, 0, s.w, 0, s.in);
            // heads of two vector lengths and beyond (b: plus a tail), and many slots of a small head
            AttentionKernels.attendHead(s.x, 0, s.w, s.w, 0, s.out, s.in, 0.125f, s.scores, s.y, 0);
            AttentionKernels.attendHead(s.x, 0, s.w, s.w, 0, s.out * s.in / 4, 4, 0.125f, s.scores, s.y, 0);
            // query panels: a full one and a partial one after 2 cached slots; head sizes 8 and 10 (a tail)
            int hd = (i & 1) == 0 ? 8 : 10;
            int t = L + 3;
            AttentionKernels.attendPanel(s.kv, 3 * hd, 0, 0, L, s.kv, s.kv, hd, 2, hd, 0.125f, s.qP, s.sc, s.ctx, hd, 0);
            AttentionKernels.attendPanel(s.kv, 3 * hd, 0, L, t - L, s.kv, s.kv, hd, 2, hd, 0.125f, s.qP, s.sc, s.ctx, hd, 0);
        }
        warmed = true;
    }

    /** Arrays for one warm-up shape: {@code t} tokens of {@code in} features against {@code out} rows. */
    private static final class Shape {
        final int in;
        final int out;
        final int t;
        final float[] x;
        final float[] xP;
        final float[] w;
        /** {@link #w} as {@code out} rows of {@code in}, as the products take it. */
        final float[][] rows;
        final float[] bias;
        final float[] y;
        final float[] scores;
        /** Queries, keys and values for {@link #attendPanel}: {@code L + 3} tokens of 3 heads of up to 10. */
        final float[] kv = new float[(L + 5) * 30];
        final float[] qP = new float[10 * L];
        final float[] sc = new float[(2 * L + 2) * L];
        final float[] ctx = new float[(L + 3) * 10];

        Shape(int in, int out, int t, boolean withBias) {
            this.in = in;
            this.out = out;
            this.t = t;
            this.x = new float[t * in];
            this.w = new float[out * in];
            this.bias = withBias ? new float[out] : null;
            this.y = new float[Math.max(t * out, 2 * in)];
            for (int i = 0; i < x.length; i++) {
                x[i] = (i % 7) * 0.125f - 0.375f;
            }
            for (int i = 0; i < w.length; i++) {
                w[i] = (i % 5) * 0.25f - 0.5f;
            }
            this.rows = new float[out][];
            for (int r = 0; r < out; r++) {
                rows[r] = java.util.Arrays.copyOfRange(w, r * in, (r + 1) * in);
            }
            this.xP = new float[SimdKernels.panels(t) * in * L];
            SimdKernels.packPanels(x, t, in, xP, 0, SimdKernels.panels(t));
            this.scores = new float[out * in];
        }
    }
}
