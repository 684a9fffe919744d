package io.steer4j.djl.engine.cpu;

import io.steer4j.djl.engine.Activation;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * SIMD products of the Java CPU engine over float32 arrays: weight rows against one token (decode) or against
 * panels of tokens (prompts). Attention is {@link AttentionKernels}, activations {@link Activation#applyInPlace},
 * and {@link KernelWarmUp} compiles them all.
 * Only {@link CpuDecoder} uses this class, and only where the {@code jdk.incubator.vector} module is present, so a
 * JVM without the module never loads it.
 */
final class SimdKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private SimdKernels() {
    }

    /**
     * {@code y[j * out + r] = dot(w[r, :], x[j, :]) + bias[r]} for rows {@code r} in {@code [r0, r1)} and every
     * token {@code j < t}; {@code w[r]} is row {@code r} of the {@code [out, in]} weight, one array per row.
     *
     * <p>Why an array per row: the loads of a block's rows then address its arrays at the same index, which C2
     * compiles to one address register per row; with one {@code [out * in]} array Java 17 recomputed each row's
     * address from its int offset on every load, and the products streamed 6-12 % slower in paired runs (Java 25
     * too, 12 %).
     *
     * <p>Why the blocking: a decode step ({@code t == 1}) is bound by reading the weights, so eight rows are dotted
     * at once and share each load of {@code x} (eight rows of one vector a turn streamed 3-4 % faster than four
     * rows of two, in paired runs). Prompt processing ({@code t > 1}) would read every weight row once
     * per token group if it went token-major; instead a block of four rows stays in L1 while every token passes
     * over it, four tokens at a time (16 accumulators: each step loads 4 weight and 4 token vectors for 16 FMAs),
     * so the weights stream from memory once per call whatever {@code t} is.
     */
    static void matmulRows(float[] x, int t, int in, float[][] w, float[] bias, float[] y, int out, int r0, int r1) {
        int r = r0;
        if (t < 4) {
            for (; r + 8 <= r1; r += 8) {
                for (int j = 0; j < t; j++) {
                    rows8(x, j * in, in, w, r, bias, y, j * out);
                }
            }
        }
        for (; r + 4 <= r1; r += 4) {
            int j = 0;
            for (; j + 4 <= t; j += 4) {
                tile4x4(x, j, in, w, r, bias, y, out);
            }
            for (; j < t; j++) {
                rows4(x, j * in, in, w, r, bias, y, j * out);
            }
        }
        for (; r < r1; r++) {
            float b = bias == null ? 0f : bias[r];
            for (int j = 0; j < t; j++) {
                y[j * out + r] = dot(w[r], 0, x, j * in, in) + b;
            }
        }
    }

    /** From this many tokens on, {@link #matmulPanels} beats the dot-product tiles of {@link #matmulRows}. */
    static final int PANEL_MIN_TOKENS = 12;

    /**
     * Inputs per block of {@link #matmulPanels} when the packed tokens exceed {@link #UNBLOCKED_BYTES}: a block of
     * every token's packed inputs (512 tokens: 512 KB) stays in L2 while every row of the part passes over it.
     */
    static final int INPUT_BLOCK = 256;

    /**
     * Packed tokens up to this size stay in L2 whole, and are not blocked: blocks would only cut each weight row's
     * stream from memory into pieces.
     */
    static final int UNBLOCKED_BYTES = 1 << 20;

    /** Tokens per panel: the vector length. */
    static int panelWidth() {
        return L;
    }

    /** Token panels of {@code t} tokens: {@code L} tokens each, the last one zero-padded. */
    static int panels(int t) {
        return (t + L - 1) / L;
    }

    /**
     * Packs the tokens of panels {@code [p0, p1)} of {@code x [t, in]} into {@code xP} (of at least
     * {@code panels(t) * in * L} floats; zeros written where no token is), panel-major {@code [panel][in][L]}: one
     * vector load gives one input of {@code L} tokens, and a panel's inputs are one contiguous run, which the
     * hardware prefetcher follows (the earlier {@code [in][t]} layout put 2 KB between two inputs of a 512-token
     * panel: a cache line and often a page per load).
     */
    static void packPanels(float[] x, int t, int in, float[] xP, int p0, int p1) {
        for (int p = p0; p < p1; p++) {
            int base = p * in * L;
            int n = Math.min(L, t - p * L);
            for (int l = 0; l < n; l++) {
                int xo = (p * L + l) * in;
                for (int k = 0; k < in; k++) {
                    xP[base + k * L + l] = x[xo + k];
                }
            }
            for (int l = n; l < L; l++) { // xP may be reused: lanes of no token are zeroed, not left over
                for (int k = 0; k < in; k++) {
                    xP[base + k * L + l] = 0f;
                }
            }
        }
    }

    /**
     * The same product as {@link #matmulRows} for prompts of {@value #PANEL_MIN_TOKENS} tokens or more, from
     * {@code xP} packed by {@link #packPanels}: the vector runs over tokens and the weights are broadcast, so there
     * is no horizontal reduction at all (a dot-product tile spends most of its time reducing lanes).
     *
     * <p>Register blocking: eight rows against two panels at once (16 accumulators; each input step loads two token
     * vectors and eight weights for 16 FMAs, against one vector and eight weights for 8 FMAs with one panel), on
     * CPUs with 32 vector registers (AVX-512); with 16 (AVX2) the 16 accumulators would spill, so one panel at a
     * time there. Cache blocking: beyond {@value #UNBLOCKED_BYTES} bytes of packed tokens, inputs go in blocks of
     * {@value #INPUT_BLOCK}, each block passed over by every row of the part before the next, so the packed tokens are read from L2 rather than L3 or memory (the
     * down projection's 3072 inputs of 512 tokens are 6 MB); partial sums wait in {@code acc}. Each output is the
     * same sum in the same order (input by input, then the bias) whatever the blocking, so the result does not
     * depend on it. {@code x} serves the rows left over after blocks of 8.
     */
    static void matmulPanels(float[] x, float[] xP, int t, int in, float[][] w, float[] bias, float[] y, int out,
                             int r0, int r1) {
        matmulPanels(x, xP, t, in, w, bias, y, out, r0, r1, null);
    }

    /**
     * {@link #matmulPanels} with the partial sums between input blocks in {@code acc}, of at least
     * {@link #partialSumFloats partialSumFloats(t, in, r1 - r0)} floats (null: a new array when it needs one), so
     * that a caller running products pass after pass allocates nothing.
     */
    static void matmulPanels(float[] x, float[] xP, int t, int in, float[][] w, float[] bias, float[] y, int out,
                             int r0, int r1, float[] acc) {
        matmulPanels(x, xP, t, in, w, bias, y, out, r0, r1, inputBlock(t, in), acc);
    }

    /** Inputs per block of {@link #matmulPanels} for {@code t} tokens of {@code in} inputs. */
    private static int inputBlock(int t, int in) {
        return 4L * panels(t) * L * in <= UNBLOCKED_BYTES ? in : INPUT_BLOCK;
    }

    /** Floats of partial sums {@link #matmulPanels} keeps for {@code rows} rows; 0 when the inputs are not blocked. */
    static int partialSumFloats(int t, int in, int rows) {
        return in > inputBlock(t, in) ? rows / 8 * 8 * panels(t) * L : 0;
    }

    /** {@link #matmulPanels} with inputs in blocks of {@code block} (tests and the warm-up choose it). */
    static void matmulPanels(float[] x, float[] xP, int t, int in, float[][] w, float[] bias, float[] y, int out,
                             int r0, int r1, int block) {
        matmulPanels(x, xP, t, in, w, bias, y, out, r0, r1, block, null);
    }

    private static void matmulPanels(float[] x, float[] xP, int t, int in, float[][] w, float[] bias, float[] y,
                                     int out, int r0, int r1, int block, float[] acc) {
        matmulPanels(x, xP, t, in, w, bias, y, out, r0, r1, block, acc, TWO_PANELS);
    }

    /**
     * {@link #matmulPanels} with ({@code sixteenRows}) or without {@link #tile16x1} for one-panel prompts (tests and
     * benchmarks compare both; the results are the same bits).
     */
    static void matmulPanels(float[] x, float[] xP, int t, int in, float[][] w, float[] bias, float[] y, int out,
                             int r0, int r1, int block, float[] acc, boolean sixteenRows) {
        int np = panels(t);
        int tp = np * L;
        float[] lanes = new float[L];
        int rows = (r1 - r0) / 8 * 8;
        if (in > block && (acc == null || acc.length < rows * tp)) {
            acc = new float[rows * tp];
        }
        for (int k0 = 0; k0 < in; k0 += block) {
            int k1 = Math.min(in, k0 + block);
            boolean first = k0 == 0;
            boolean last = k1 == in;
            int r = r0;
            if (sixteenRows && np == 1) {
                for (; r + 16 <= r1; r += 16) {
                    tile16x1(xP, in, 0, k0, k1, w, r, acc, r - r0, tp, first, last, t, bias, y, out, lanes);
                }
            }
            for (; r + 8 <= r1; r += 8) {
                int p = 0;
                if (TWO_PANELS) {
                    for (; p + 2 <= np; p += 2) {
                        tile8x2(xP, in, p, k0, k1, w, r, acc, r - r0, tp, first, last, t, bias, y, out, lanes);
                    }
                }
                for (; p < np; p++) {
                    tile8x1(xP, in, p, k0, k1, w, r, acc, r - r0, tp, first, last, t, bias, y, out, lanes);
                }
            }
        }
        for (int r = r0 + rows; r < r1; r++) {
            float b = bias == null ? 0f : bias[r];
            for (int j = 0; j < t; j++) {
                y[j * out + r] = dot(w[r], 0, x, j * in, in) + b;
            }
        }
    }

    /**
     * One vector of zeros, where the prompt kernel's tiles load sums that start from zero. Why not
     * {@code first ? zero() : fromArray(acc, ..)}: C2 (Java 17) boxes a vector that merges two branches, and each
     * tile call then allocated its 16 accumulators on the heap (220 MB of garbage in a 512-token GPT-2-small pass).
     */
    private static final float[] ZERO = new float[L];

    /** Whether the CPU has the 32 vector registers of {@link #tile8x2} (AVX-512: 16-float vectors). */
    private static final boolean TWO_PANELS = L >= 16;

    /**
     * Rows {@code r .. r+7} against token panels {@code p .. p+1} over inputs {@code [k0, k1)}: 16 accumulators,
     * started from zero ({@code first}) or from {@code acc}, left in {@code acc} or, after the last input block,
     * written to {@code y} with the bias.
     */
    private static void tile8x2(float[] xP, int in, int p, int k0, int k1, float[][] w, int r, float[] acc, int accRow,
                                int tp, boolean first, boolean last, int t, float[] bias, float[] y, int out,
                                float[] lanes) {
        float[] w0 = w[r + 0];
        float[] w1 = w[r + 1];
        float[] w2 = w[r + 2];
        float[] w3 = w[r + 3];
        float[] w4 = w[r + 4];
        float[] w5 = w[r + 5];
        float[] w6 = w[r + 6];
        float[] w7 = w[r + 7];
        // one load whether the sums start at zero or resume: a vector chosen by a branch is boxed on the heap
        float[] from = first ? ZERO : acc;
        FloatVector a00 = FloatVector.fromArray(S, from, first ? 0 : (accRow + 0) * tp + (p + 0) * L);
        FloatVector a01 = FloatVector.fromArray(S, from, first ? 0 : (accRow + 0) * tp + (p + 1) * L);
        FloatVector a10 = FloatVector.fromArray(S, from, first ? 0 : (accRow + 1) * tp + (p + 0) * L);
        FloatVector a11 = FloatVector.fromArray(S, from, first ? 0 : (accRow + 1) * tp + (p + 1) * L);
        FloatVector a20 = FloatVector.fromArray(S, from, first ? 0 : (accRow + 2) * tp + (p + 0) * L);
        FloatVector a21 = FloatVector.fromArray(S, from, first ? 0 : (accRow + 2) * tp + (p + 1) * L);
        FloatVector a30 = FloatVector.fromArray(S, from, first ? 0 : (accRow + 3) * tp + (p + 0) * L);
        FloatVector a31 = FloatVector.fromArray(S, from, first ? 0 : (accRow + 3) * tp + (p + 1) * L);
        FloatVector a40 = FloatVector.fromArray(S, from, first ? 0 : (accRow + 4) * tp + (p + 0) * L);
        FloatVector a41 = FloatVector.fromArray(S, from, first ? 0 : (accRow + 4) * tp + (p + 1) * L);
        FloatVector a50 = FloatVector.fromArray(S, from, first ? 0 : (accRow + 5) * tp + (p + 0) * L);
        FloatVector a51 = FloatVector.fromArray(S, from, first ? 0 : (accRow + 5) * tp + (p + 1) * L);
        FloatVector a60 = FloatVector.fromArray(S, from, first ? 0 : (accRow + 6) * tp + (p + 0) * L);
        FloatVector a61 = FloatVector.fromArray(S, from, first ? 0 : (accRow + 6) * tp + (p + 1) * L);
        FloatVector a70 = FloatVector.fromArray(S, from, first ? 0 : (accRow + 7) * tp + (p + 0) * L);
        FloatVector a71 = FloatVector.fromArray(S, from, first ? 0 : (accRow + 7) * tp + (p + 1) * L);
        int x0 = (p + 0) * in * L;
        int x1 = (p + 1) * in * L;
        for (int k = k0; k < k1; k++) {
            FloatVector u0 = FloatVector.fromArray(S, xP, x0 + k * L);
            FloatVector u1 = FloatVector.fromArray(S, xP, x1 + k * L);
            FloatVector b;
            b = FloatVector.broadcast(S, w0[k]);
            a00 = u0.fma(b, a00);
            a01 = u1.fma(b, a01);
            b = FloatVector.broadcast(S, w1[k]);
            a10 = u0.fma(b, a10);
            a11 = u1.fma(b, a11);
            b = FloatVector.broadcast(S, w2[k]);
            a20 = u0.fma(b, a20);
            a21 = u1.fma(b, a21);
            b = FloatVector.broadcast(S, w3[k]);
            a30 = u0.fma(b, a30);
            a31 = u1.fma(b, a31);
            b = FloatVector.broadcast(S, w4[k]);
            a40 = u0.fma(b, a40);
            a41 = u1.fma(b, a41);
            b = FloatVector.broadcast(S, w5[k]);
            a50 = u0.fma(b, a50);
            a51 = u1.fma(b, a51);
            b = FloatVector.broadcast(S, w6[k]);
            a60 = u0.fma(b, a60);
            a61 = u1.fma(b, a61);
            b = FloatVector.broadcast(S, w7[k]);
            a70 = u0.fma(b, a70);
            a71 = u1.fma(b, a71);
        }
        if (last) { // statements per accumulator: an array of vectors would box them and cost 30x
            a00.intoArray(lanes, 0);
            scatter(lanes, y, (p + 0) * L, Math.min(L, t - (p + 0) * L), out, r + 0, bias);
            a01.intoArray(lanes, 0);
            scatter(lanes, y, (p + 1) * L, Math.min(L, t - (p + 1) * L), out, r + 0, bias);
            a10.intoArray(lanes, 0);
            scatter(lanes, y, (p + 0) * L, Math.min(L, t - (p + 0) * L), out, r + 1, bias);
            a11.intoArray(lanes, 0);
            scatter(lanes, y, (p + 1) * L, Math.min(L, t - (p + 1) * L), out, r + 1, bias);
            a20.intoArray(lanes, 0);
            scatter(lanes, y, (p + 0) * L, Math.min(L, t - (p + 0) * L), out, r + 2, bias);
            a21.intoArray(lanes, 0);
            scatter(lanes, y, (p + 1) * L, Math.min(L, t - (p + 1) * L), out, r + 2, bias);
            a30.intoArray(lanes, 0);
            scatter(lanes, y, (p + 0) * L, Math.min(L, t - (p + 0) * L), out, r + 3, bias);
            a31.intoArray(lanes, 0);
            scatter(lanes, y, (p + 1) * L, Math.min(L, t - (p + 1) * L), out, r + 3, bias);
            a40.intoArray(lanes, 0);
            scatter(lanes, y, (p + 0) * L, Math.min(L, t - (p + 0) * L), out, r + 4, bias);
            a41.intoArray(lanes, 0);
            scatter(lanes, y, (p + 1) * L, Math.min(L, t - (p + 1) * L), out, r + 4, bias);
            a50.intoArray(lanes, 0);
            scatter(lanes, y, (p + 0) * L, Math.min(L, t - (p + 0) * L), out, r + 5, bias);
            a51.intoArray(lanes, 0);
            scatter(lanes, y, (p + 1) * L, Math.min(L, t - (p + 1) * L), out, r + 5, bias);
            a60.intoArray(lanes, 0);
            scatter(lanes, y, (p + 0) * L, Math.min(L, t - (p + 0) * L), out, r + 6, bias);
            a61.intoArray(lanes, 0);
            scatter(lanes, y, (p + 1) * L, Math.min(L, t - (p + 1) * L), out, r + 6, bias);
            a70.intoArray(lanes, 0);
            scatter(lanes, y, (p + 0) * L, Math.min(L, t - (p + 0) * L), out, r + 7, bias);
            a71.intoArray(lanes, 0);
            scatter(lanes, y, (p + 1) * L, Math.min(L, t - (p + 1) * L), out, r + 7, bias);
        } else {
            a00.intoArray(acc, (accRow + 0) * tp + (p + 0) * L);
            a01.intoArray(acc, (accRow + 0) * tp + (p + 1) * L);
            a10.intoArray(acc, (accRow + 1) * tp + (p + 0) * L);
            a11.intoArray(acc, (accRow + 1) * tp + (p + 1) * L);
            a20.intoArray(acc, (accRow + 2) * tp + (p + 0) * L);
            a21.intoArray(acc, (accRow + 2) * tp + (p + 1) * L);
            a30.intoArray(acc, (accRow + 3) * tp + (p + 0) * L);
            a31.intoArray(acc, (accRow + 3) * tp + (p + 1) * L);
            a40.intoArray(acc, (accRow + 4) * tp + (p + 0) * L);
            a41.intoArray(acc, (accRow + 4) * tp + (p + 1) * L);
            a50.intoArray(acc, (accRow + 5) * tp + (p + 0) * L);
            a51.intoArray(acc, (accRow + 5) * tp + (p + 1) * L);
            a60.intoArray(acc, (accRow + 6) * tp + (p + 0) * L);
            a61.intoArray(acc, (accRow + 6) * tp + (p + 1) * L);
            a70.intoArray(acc, (accRow + 7) * tp + (p + 0) * L);
            a71.intoArray(acc, (accRow + 7) * tp + (p + 1) * L);
        }
    }

    /**
     * Rows {@code r .. r+15} against token panel {@code p} over inputs {@code [k0, k1)}, as {@link #tile8x1} does for
     * eight rows: a prompt of one panel (16 tokens) has no second panel to share the weight broadcasts with, and
     * sixteen accumulators keep both FMA ports busy where eight chains barely cover the FMA latency.
     */
    private static void tile16x1(float[] xP, int in, int p, int k0, int k1, float[][] w, int r, float[] acc,
                                 int accRow, int tp, boolean first, boolean last, int t, float[] bias, float[] y,
                                 int out, float[] lanes) {
        float[] w0 = w[r + 0];
        float[] w1 = w[r + 1];
        float[] w2 = w[r + 2];
        float[] w3 = w[r + 3];
        float[] w4 = w[r + 4];
        float[] w5 = w[r + 5];
        float[] w6 = w[r + 6];
        float[] w7 = w[r + 7];
        float[] w8 = w[r + 8];
        float[] w9 = w[r + 9];
        float[] w10 = w[r + 10];
        float[] w11 = w[r + 11];
        float[] w12 = w[r + 12];
        float[] w13 = w[r + 13];
        float[] w14 = w[r + 14];
        float[] w15 = w[r + 15];
        float[] from = first ? ZERO : acc;
        FloatVector a0 = FloatVector.fromArray(S, from, first ? 0 : (accRow + 0) * tp + p * L);
        FloatVector a1 = FloatVector.fromArray(S, from, first ? 0 : (accRow + 1) * tp + p * L);
        FloatVector a2 = FloatVector.fromArray(S, from, first ? 0 : (accRow + 2) * tp + p * L);
        FloatVector a3 = FloatVector.fromArray(S, from, first ? 0 : (accRow + 3) * tp + p * L);
        FloatVector a4 = FloatVector.fromArray(S, from, first ? 0 : (accRow + 4) * tp + p * L);
        FloatVector a5 = FloatVector.fromArray(S, from, first ? 0 : (accRow + 5) * tp + p * L);
        FloatVector a6 = FloatVector.fromArray(S, from, first ? 0 : (accRow + 6) * tp + p * L);
        FloatVector a7 = FloatVector.fromArray(S, from, first ? 0 : (accRow + 7) * tp + p * L);
        FloatVector a8 = FloatVector.fromArray(S, from, first ? 0 : (accRow + 8) * tp + p * L);
        FloatVector a9 = FloatVector.fromArray(S, from, first ? 0 : (accRow + 9) * tp + p * L);
        FloatVector a10 = FloatVector.fromArray(S, from, first ? 0 : (accRow + 10) * tp + p * L);
        FloatVector a11 = FloatVector.fromArray(S, from, first ? 0 : (accRow + 11) * tp + p * L);
        FloatVector a12 = FloatVector.fromArray(S, from, first ? 0 : (accRow + 12) * tp + p * L);
        FloatVector a13 = FloatVector.fromArray(S, from, first ? 0 : (accRow + 13) * tp + p * L);
        FloatVector a14 = FloatVector.fromArray(S, from, first ? 0 : (accRow + 14) * tp + p * L);
        FloatVector a15 = FloatVector.fromArray(S, from, first ? 0 : (accRow + 15) * tp + p * L);
        int x0 = p * in * L;
        for (int k = k0; k < k1; k++) {
            FloatVector u0 = FloatVector.fromArray(S, xP, x0 + k * L);
            a0 = u0.fma(FloatVector.broadcast(S, w0[k]), a0);
            a1 = u0.fma(FloatVector.broadcast(S, w1[k]), a1);
            a2 = u0.fma(FloatVector.broadcast(S, w2[k]), a2);
            a3 = u0.fma(FloatVector.broadcast(S, w3[k]), a3);
            a4 = u0.fma(FloatVector.broadcast(S, w4[k]), a4);
            a5 = u0.fma(FloatVector.broadcast(S, w5[k]), a5);
            a6 = u0.fma(FloatVector.broadcast(S, w6[k]), a6);
            a7 = u0.fma(FloatVector.broadcast(S, w7[k]), a7);
            a8 = u0.fma(FloatVector.broadcast(S, w8[k]), a8);
            a9 = u0.fma(FloatVector.broadcast(S, w9[k]), a9);
            a10 = u0.fma(FloatVector.broadcast(S, w10[k]), a10);
            a11 = u0.fma(FloatVector.broadcast(S, w11[k]), a11);
            a12 = u0.fma(FloatVector.broadcast(S, w12[k]), a12);
            a13 = u0.fma(FloatVector.broadcast(S, w13[k]), a13);
            a14 = u0.fma(FloatVector.broadcast(S, w14[k]), a14);
            a15 = u0.fma(FloatVector.broadcast(S, w15[k]), a15);
        }
        if (last) {
            int n = Math.min(L, t - p * L);
            a0.intoArray(lanes, 0);
            scatter(lanes, y, p * L, n, out, r + 0, bias);
            a1.intoArray(lanes, 0);
            scatter(lanes, y, p * L, n, out, r + 1, bias);
            a2.intoArray(lanes, 0);
            scatter(lanes, y, p * L, n, out, r + 2, bias);
            a3.intoArray(lanes, 0);
            scatter(lanes, y, p * L, n, out, r + 3, bias);
            a4.intoArray(lanes, 0);
            scatter(lanes, y, p * L, n, out, r + 4, bias);
            a5.intoArray(lanes, 0);
            scatter(lanes, y, p * L, n, out, r + 5, bias);
            a6.intoArray(lanes, 0);
            scatter(lanes, y, p * L, n, out, r + 6, bias);
            a7.intoArray(lanes, 0);
            scatter(lanes, y, p * L, n, out, r + 7, bias);
            a8.intoArray(lanes, 0);
            scatter(lanes, y, p * L, n, out, r + 8, bias);
            a9.intoArray(lanes, 0);
            scatter(lanes, y, p * L, n, out, r + 9, bias);
            a10.intoArray(lanes, 0);
            scatter(lanes, y, p * L, n, out, r + 10, bias);
            a11.intoArray(lanes, 0);
            scatter(lanes, y, p * L, n, out, r + 11, bias);
            a12.intoArray(lanes, 0);
            scatter(lanes, y, p * L, n, out, r + 12, bias);
            a13.intoArray(lanes, 0);
            scatter(lanes, y, p * L, n, out, r + 13, bias);
            a14.intoArray(lanes, 0);
            scatter(lanes, y, p * L, n, out, r + 14, bias);
            a15.intoArray(lanes, 0);
            scatter(lanes, y, p * L, n, out, r + 15, bias);
        } else {
            a0.intoArray(acc, (accRow + 0) * tp + p * L);
            a1.intoArray(acc, (accRow + 1) * tp + p * L);
            a2.intoArray(acc, (accRow + 2) * tp + p * L);
            a3.intoArray(acc, (accRow + 3) * tp + p * L);
            a4.intoArray(acc, (accRow + 4) * tp + p * L);
            a5.intoArray(acc, (accRow + 5) * tp + p * L);
            a6.intoArray(acc, (accRow + 6) * tp + p * L);
            a7.intoArray(acc, (accRow + 7) * tp + p * L);
            a8.intoArray(acc, (accRow + 8) * tp + p * L);
            a9.intoArray(acc, (accRow + 9) * tp + p * L);
            a10.intoArray(acc, (accRow + 10) * tp + p * L);
            a11.intoArray(acc, (accRow + 11) * tp + p * L);
            a12.intoArray(acc, (accRow + 12) * tp + p * L);
            a13.intoArray(acc, (accRow + 13) * tp + p * L);
            a14.intoArray(acc, (accRow + 14) * tp + p * L);
            a15.intoArray(acc, (accRow + 15) * tp + p * L);
        }
    }

    /**
     * Rows {@code r .. r+7} against token panel {@code p} over inputs {@code [k0, k1)}: 8 accumulators,
     * started from zero ({@code first}) or from {@code acc}, left in {@code acc} or, after the last input block,
     * written to {@code y} with the bias.
     */
    private static void tile8x1(float[] xP, int in, int p, int k0, int k1, float[][] w, int r, float[] acc, int accRow,
                                int tp, boolean first, boolean last, int t, float[] bias, float[] y, int out,
                                float[] lanes) {
        float[] w0 = w[r + 0];
        float[] w1 = w[r + 1];
        float[] w2 = w[r + 2];
        float[] w3 = w[r + 3];
        float[] w4 = w[r + 4];
        float[] w5 = w[r + 5];
        float[] w6 = w[r + 6];
        float[] w7 = w[r + 7];
        // one load whether the sums start at zero or resume: a vector chosen by a branch is boxed on the heap
        float[] from = first ? ZERO : acc;
        FloatVector a00 = FloatVector.fromArray(S, from, first ? 0 : (accRow + 0) * tp + (p + 0) * L);
        FloatVector a10 = FloatVector.fromArray(S, from, first ? 0 : (accRow + 1) * tp + (p + 0) * L);
        FloatVector a20 = FloatVector.fromArray(S, from, first ? 0 : (accRow + 2) * tp + (p + 0) * L);
        FloatVector a30 = FloatVector.fromArray(S, from, first ? 0 : (accRow + 3) * tp + (p + 0) * L);
        FloatVector a40 = FloatVector.fromArray(S, from, first ? 0 : (accRow + 4) * tp + (p + 0) * L);
        FloatVector a50 = FloatVector.fromArray(S, from, first ? 0 : (accRow + 5) * tp + (p + 0) * L);
        FloatVector a60 = FloatVector.fromArray(S, from, first ? 0 : (accRow + 6) * tp + (p + 0) * L);
        FloatVector a70 = FloatVector.fromArray(S, from, first ? 0 : (accRow + 7) * tp + (p + 0) * L);
        int x0 = (p + 0) * in * L;
        for (int k = k0; k < k1; k++) {
            FloatVector u0 = FloatVector.fromArray(S, xP, x0 + k * L);
            FloatVector b;
            b = FloatVector.broadcast(S, w0[k]);
            a00 = u0.fma(b, a00);
            b = FloatVector.broadcast(S, w1[k]);
            a10 = u0.fma(b, a10);
            b = FloatVector.broadcast(S, w2[k]);
            a20 = u0.fma(b, a20);
            b = FloatVector.broadcast(S, w3[k]);
            a30 = u0.fma(b, a30);
            b = FloatVector.broadcast(S, w4[k]);
            a40 = u0.fma(b, a40);
            b = FloatVector.broadcast(S, w5[k]);
            a50 = u0.fma(b, a50);
            b = FloatVector.broadcast(S, w6[k]);
            a60 = u0.fma(b, a60);
            b = FloatVector.broadcast(S, w7[k]);
            a70 = u0.fma(b, a70);
        }
        if (last) { // statements per accumulator: an array of vectors would box them and cost 30x
            a00.intoArray(lanes, 0);
            scatter(lanes, y, (p + 0) * L, Math.min(L, t - (p + 0) * L), out, r + 0, bias);
            a10.intoArray(lanes, 0);
            scatter(lanes, y, (p + 0) * L, Math.min(L, t - (p + 0) * L), out, r + 1, bias);
            a20.intoArray(lanes, 0);
            scatter(lanes, y, (p + 0) * L, Math.min(L, t - (p + 0) * L), out, r + 2, bias);
            a30.intoArray(lanes, 0);
            scatter(lanes, y, (p + 0) * L, Math.min(L, t - (p + 0) * L), out, r + 3, bias);
            a40.intoArray(lanes, 0);
            scatter(lanes, y, (p + 0) * L, Math.min(L, t - (p + 0) * L), out, r + 4, bias);
            a50.intoArray(lanes, 0);
            scatter(lanes, y, (p + 0) * L, Math.min(L, t - (p + 0) * L), out, r + 5, bias);
            a60.intoArray(lanes, 0);
            scatter(lanes, y, (p + 0) * L, Math.min(L, t - (p + 0) * L), out, r + 6, bias);
            a70.intoArray(lanes, 0);
            scatter(lanes, y, (p + 0) * L, Math.min(L, t - (p + 0) * L), out, r + 7, bias);
        } else {
            a00.intoArray(acc, (accRow + 0) * tp + (p + 0) * L);
            a10.intoArray(acc, (accRow + 1) * tp + (p + 0) * L);
            a20.intoArray(acc, (accRow + 2) * tp + (p + 0) * L);
            a30.intoArray(acc, (accRow + 3) * tp + (p + 0) * L);
            a40.intoArray(acc, (accRow + 4) * tp + (p + 0) * L);
            a50.intoArray(acc, (accRow + 5) * tp + (p + 0) * L);
            a60.intoArray(acc, (accRow + 6) * tp + (p + 0) * L);
            a70.intoArray(acc, (accRow + 7) * tp + (p + 0) * L);
        }
    }

    /**
     * Writes lane {@code l < n} of a tile's sums, stored in {@code lanes} (token {@code p + l} of row {@code r}), to
     * {@code y[p + l, r]} with the bias. The tile stores the vector itself: a vector passed to a method C2 does not
     * inline (a tile is too large for all its calls to be inlined) is boxed on the heap.
     */
    private static void scatter(float[] lanes, float[] y, int p, int n, int out, int r, float[] bias) {
        float b = bias == null ? 0f : bias[r];
        for (int l = 0; l < n; l++) {
            y[(p + l) * out + r] = lanes[l] + b;
        }
    }

    /** Rows {@code r .. r+7} against one token at {@code x[xo ..]}: each load of {@code x} serves eight rows. */
    private static void rows8(float[] x, int xo, int in, float[][] w, int r, float[] bias, float[] y, int yo) {
        float[] w0 = w[r];
        float[] w1 = w[r + 1];
        float[] w2 = w[r + 2];
        float[] w3 = w[r + 3];
        float[] w4 = w[r + 4];
        float[] w5 = w[r + 5];
        float[] w6 = w[r + 6];
        float[] w7 = w[r + 7];
        FloatVector a0 = FloatVector.zero(S);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        FloatVector a4 = a0;
        FloatVector a5 = a0;
        FloatVector a6 = a0;
        FloatVector a7 = a0;
        int bound = S.loopBound(in);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector xv = FloatVector.fromArray(S, x, xo + i);
            a0 = FloatVector.fromArray(S, w0, i).fma(xv, a0);
            a1 = FloatVector.fromArray(S, w1, i).fma(xv, a1);
            a2 = FloatVector.fromArray(S, w2, i).fma(xv, a2);
            a3 = FloatVector.fromArray(S, w3, i).fma(xv, a3);
            a4 = FloatVector.fromArray(S, w4, i).fma(xv, a4);
            a5 = FloatVector.fromArray(S, w5, i).fma(xv, a5);
            a6 = FloatVector.fromArray(S, w6, i).fma(xv, a6);
            a7 = FloatVector.fromArray(S, w7, i).fma(xv, a7);
        }
        // one statement per row: an array of vectors would box them
        finishFourRows(a0.reduceLanes(VectorOperators.ADD), a1.reduceLanes(VectorOperators.ADD),
                a2.reduceLanes(VectorOperators.ADD), a3.reduceLanes(VectorOperators.ADD), x, xo, i, in, w, r, bias, y,
                yo);
        finishFourRows(a4.reduceLanes(VectorOperators.ADD), a5.reduceLanes(VectorOperators.ADD),
                a6.reduceLanes(VectorOperators.ADD), a7.reduceLanes(VectorOperators.ADD), x, xo, i, in, w, r + 4, bias,
                y, yo);
    }

    /**
     * Completes the dot products of rows {@code r .. r+3} whose vector parts summed to {@code s0 .. s3}: the row
     * tail from {@code i} (row lengths that are not a multiple of the vector length), the bias, the store.
     */
    private static void finishFourRows(float s0, float s1, float s2, float s3, float[] x, int xo, int i, int in,
                                float[][] w, int r, float[] bias, float[] y, int yo) {
        float[] w0 = w[r];
        float[] w1 = w[r + 1];
        float[] w2 = w[r + 2];
        float[] w3 = w[r + 3];
        for (; i < in; i++) {
            float xi = x[xo + i];
            s0 += w0[i] * xi;
            s1 += w1[i] * xi;
            s2 += w2[i] * xi;
            s3 += w3[i] * xi;
        }
        if (bias != null) {
            s0 += bias[r];
            s1 += bias[r + 1];
            s2 += bias[r + 2];
            s3 += bias[r + 3];
        }
        y[yo + r] = s0;
        y[yo + r + 1] = s1;
        y[yo + r + 2] = s2;
        y[yo + r + 3] = s3;
    }

    /** Rows {@code r .. r+3} against one token at {@code x[xo ..]}: each load of {@code x} serves four rows. */
    private static void rows4(float[] x, int xo, int in, float[][] w, int r, float[] bias, float[] y, int yo) {
        float[] w0 = w[r];
        float[] w1 = w[r + 1];
        float[] w2 = w[r + 2];
        float[] w3 = w[r + 3];
        FloatVector a0 = FloatVector.zero(S);
        FloatVector a1 = FloatVector.zero(S);
        FloatVector a2 = FloatVector.zero(S);
        FloatVector a3 = FloatVector.zero(S);
        FloatVector b0 = FloatVector.zero(S);
        FloatVector b1 = FloatVector.zero(S);
        FloatVector b2 = FloatVector.zero(S);
        FloatVector b3 = FloatVector.zero(S);
        // two vectors per row per iteration: the weights stream from memory 5-9 % faster than with one (paired
        // JVM runs on GPT-2 small's products, Java 17 and 25), as the loop carries fewer overhead instructions
        // per byte; a third and fourth gained under 3 %
        int pairBound = in - (in % (2 * L));
        int i = 0;
        for (; i < pairBound; i += 2 * L) {
            FloatVector xv = FloatVector.fromArray(S, x, xo + i);
            FloatVector xu = FloatVector.fromArray(S, x, xo + i + L);
            a0 = FloatVector.fromArray(S, w0, i).fma(xv, a0);
            a1 = FloatVector.fromArray(S, w1, i).fma(xv, a1);
            a2 = FloatVector.fromArray(S, w2, i).fma(xv, a2);
            a3 = FloatVector.fromArray(S, w3, i).fma(xv, a3);
            b0 = FloatVector.fromArray(S, w0, i + L).fma(xu, b0);
            b1 = FloatVector.fromArray(S, w1, i + L).fma(xu, b1);
            b2 = FloatVector.fromArray(S, w2, i + L).fma(xu, b2);
            b3 = FloatVector.fromArray(S, w3, i + L).fma(xu, b3);
        }
        if (i + L <= in) {
            FloatVector xv = FloatVector.fromArray(S, x, xo + i);
            a0 = FloatVector.fromArray(S, w0, i).fma(xv, a0);
            a1 = FloatVector.fromArray(S, w1, i).fma(xv, a1);
            a2 = FloatVector.fromArray(S, w2, i).fma(xv, a2);
            a3 = FloatVector.fromArray(S, w3, i).fma(xv, a3);
            i += L;
        }
        a0 = a0.add(b0);
        a1 = a1.add(b1);
        a2 = a2.add(b2);
        a3 = a3.add(b3);
        finishFourRows(a0.reduceLanes(VectorOperators.ADD), a1.reduceLanes(VectorOperators.ADD),
                a2.reduceLanes(VectorOperators.ADD), a3.reduceLanes(VectorOperators.ADD), x, xo, i, in, w, r, bias, y,
                yo);
    }

    /** Rows {@code r .. r+3} against tokens {@code j .. j+3}: 16 dot products from one pass over both. */
    private static void tile4x4(float[] x, int j, int in, float[][] w, int r, float[] bias, float[] y, int out) {
        float[] w0 = w[r];
        float[] w1 = w[r + 1];
        float[] w2 = w[r + 2];
        float[] w3 = w[r + 3];
        int x0 = j * in;
        int x1 = x0 + in;
        int x2 = x1 + in;
        int x3 = x2 + in;
        FloatVector a00 = FloatVector.zero(S);
        FloatVector a01 = FloatVector.zero(S);
        FloatVector a02 = FloatVector.zero(S);
        FloatVector a03 = FloatVector.zero(S);
        FloatVector a10 = FloatVector.zero(S);
        FloatVector a11 = FloatVector.zero(S);
        FloatVector a12 = FloatVector.zero(S);
        FloatVector a13 = FloatVector.zero(S);
        FloatVector a20 = FloatVector.zero(S);
        FloatVector a21 = FloatVector.zero(S);
        FloatVector a22 = FloatVector.zero(S);
        FloatVector a23 = FloatVector.zero(S);
        FloatVector a30 = FloatVector.zero(S);
        FloatVector a31 = FloatVector.zero(S);
        FloatVector a32 = FloatVector.zero(S);
        FloatVector a33 = FloatVector.zero(S);
        int bound = S.loopBound(in);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector v0 = FloatVector.fromArray(S, x, x0 + i);
            FloatVector v1 = FloatVector.fromArray(S, x, x1 + i);
            FloatVector v2 = FloatVector.fromArray(S, x, x2 + i);
            FloatVector v3 = FloatVector.fromArray(S, x, x3 + i);
            FloatVector u = FloatVector.fromArray(S, w0, i);
            a00 = u.fma(v0, a00);
            a01 = u.fma(v1, a01);
            a02 = u.fma(v2, a02);
            a03 = u.fma(v3, a03);
            u = FloatVector.fromArray(S, w1, i);
            a10 = u.fma(v0, a10);
            a11 = u.fma(v1, a11);
            a12 = u.fma(v2, a12);
            a13 = u.fma(v3, a13);
            u = FloatVector.fromArray(S, w2, i);
            a20 = u.fma(v0, a20);
            a21 = u.fma(v1, a21);
            a22 = u.fma(v2, a22);
            a23 = u.fma(v3, a23);
            u = FloatVector.fromArray(S, w3, i);
            a30 = u.fma(v0, a30);
            a31 = u.fma(v1, a31);
            a32 = u.fma(v2, a32);
            a33 = u.fma(v3, a33);
        }
        float[] s = {
            a00.reduceLanes(VectorOperators.ADD), a01.reduceLanes(VectorOperators.ADD),
            a02.reduceLanes(VectorOperators.ADD), a03.reduceLanes(VectorOperators.ADD),
            a10.reduceLanes(VectorOperators.ADD), a11.reduceLanes(VectorOperators.ADD),
            a12.reduceLanes(VectorOperators.ADD), a13.reduceLanes(VectorOperators.ADD),
            a20.reduceLanes(VectorOperators.ADD), a21.reduceLanes(VectorOperators.ADD),
            a22.reduceLanes(VectorOperators.ADD), a23.reduceLanes(VectorOperators.ADD),
            a30.reduceLanes(VectorOperators.ADD), a31.reduceLanes(VectorOperators.ADD),
            a32.reduceLanes(VectorOperators.ADD), a33.reduceLanes(VectorOperators.ADD)};
        for (; i < in; i++) { // tail of a row length that is not a multiple of the vector length
            for (int a = 0; a < 4; a++) {
                float wi = w[r + a][i];
                for (int k = 0; k < 4; k++) {
                    s[a * 4 + k] += wi * x[x0 + k * in + i];
                }
            }
        }
        for (int a = 0; a < 4; a++) {
            float b = bias == null ? 0f : bias[r + a];
            for (int k = 0; k < 4; k++) {
                y[(j + k) * out + r + a] = s[a * 4 + k] + b;
            }
        }
    }

    /** {@code dot(a[ao .. ao+n), b[bo .. bo+n))}, with two accumulators to hide the FMA latency. */
    static float dot(float[] a, int ao, float[] b, int bo, int n) {
        FloatVector acc0 = FloatVector.zero(S);
        FloatVector acc1 = FloatVector.zero(S);
        int i = 0;
        int bound2 = n - n % (2 * L);
        for (; i < bound2; i += 2 * L) {
            acc0 = FloatVector.fromArray(S, a, ao + i).fma(FloatVector.fromArray(S, b, bo + i), acc0);
            acc1 = FloatVector.fromArray(S, a, ao + i + L).fma(FloatVector.fromArray(S, b, bo + i + L), acc1);
        }
        int bound = S.loopBound(n);
        for (; i < bound; i += L) {
            acc0 = FloatVector.fromArray(S, a, ao + i).fma(FloatVector.fromArray(S, b, bo + i), acc0);
        }
        float s = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            s += a[ao + i] * b[bo + i];
        }
        return s;
    }
}
