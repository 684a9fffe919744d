package io.steer4j.djl.engine.cpu;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Matrix-vector products of the Java CPU engine over weights kept as they are stored, 16-bit or Q8_0, widened to
 * float32 inside the loop; activations and sums stay float32. One call computes {@code y[r] = dot(w[r, :], x) +
 * bias[r]} for the rows {@code r} in {@code [r0, r1)} of an {@code [out, in]} weight held one array per row (as
 * {@code SimdKernels.matmulRows} holds float32 rows), four rows at a time sharing each load of {@code x}.
 *
 * <p><b>bfloat16</b>: a row is held as {@code int[in / 2]}, each int two neighbouring weights as a little-endian
 * file stores them (element {@code 2k} in the low half, {@code 2k + 1} in the high half). A bfloat16 is the upper
 * half of a float32, so one int load gives two float vectors with one lane shift and one mask:
 * {@code w[2k] = bits << 16}, {@code w[2k + 1] = bits & 0xFFFF0000}. They meet {@code x}'s even and odd elements,
 * split once per call ({@link #deinterleave}). Exact: the products see the same floats as the widened weights.
 *
 * <p><b>float16</b>: the same packing. Java 17 has no float16 conversion (scalar {@code Float.float16ToFloat}
 * arrived in Java 20, a vector one later), so the lanes are converted with bit operations: the half's magnitude
 * shifted into a float's exponent and mantissa ({@code (h & 0x7fff) << 13}) and the sign put back, which is the
 * value scaled by 2^-112, then one multiply by 2^112 makes it exact for normals, subnormals and zeros alike.
 * (Infinities and NaNs, which no trained weight holds, come out as large finite values.)
 *
 * <p><b>Q8_0</b>: a row is held as its int8 values ({@code byte[in]}) and one float32 scale per block of 32
 * ({@code float[in / 32]}, the file's float16 scales widened once at load). Each block's int8 values are widened
 * to float and multiplied with float {@code x}, and the block's sum scaled by its {@code d}. Why not llama.cpp's
 * way (activations quantised to Q8_0 too, integer dot products): Java 17's Vector API exposes no int8 dot-product
 * instruction (VNNI, {@code pmaddubsw}), so integer products would widen to 16 and 32 bits anyway, at more
 * instructions than one float conversion; float activations also keep the products exact against the dequantised
 * weights (llama.cpp's activation rounding adds an error of its own), so Q8_0 logits differ from the float32 model
 * only by the weights' rounding.
 *
 * <p>Only used after {@code CpuEngine.javaEngineAvailable()} said the {@code jdk.incubator.vector} module is
 * present. {@link CpuDecoder} runs {@link #matvecBf16}, {@link #matvecF16} and {@link #matvecQ8} for the one-token
 * products of a {@link Bfloat16Matrix}, a {@link Float16Matrix} and a {@link Q8Matrix}.
 */
final class QuantizedKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Bytes with as many lanes as {@link #S}: widened to one float vector by one conversion. */
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8));
    /** Values per Q8_0 block. */
    static final int Q8_BLOCK = 32;

    private QuantizedKernels() {
    }

    /** Calls per kernel in {@link #warmUp}: past C2's invocation threshold (a few thousand) with margin. */
    private static final int WARM_CALLS = 12_000;

    /**
     * Runs every kernel on small rows (two shapes, so that row tails, leftover rows and the bias branch are all
     * taken) until C2 has compiled them with complete type profiles. Why: the Vector API's vectors stay in
     * registers only when C2 can bind each call to one vector class, which it learns from the profile; a kernel
     * compiled early (an on-stack replacement in the middle of the first large product) lacked it, boxed every
     * vector and ran 5-10x slower for the rest of the process (seen here on every kernel, one run in three).
     */
    static void warmUp() {
        int[] ins = {4 * L * 2 + Q8_BLOCK, 2 * Q8_BLOCK + 2 * L};
        for (int shape = 0; shape < 2; shape++) {
            int in = ins[shape] / Q8_BLOCK * Q8_BLOCK;
            int out = shape == 0 ? 8 : 7;
            float[] x = new float[in];
            float[] even = new float[in / 2];
            float[] odd = new float[in / 2];
            int[][] w = new int[out][in / 2];
            byte[][] q = new byte[out][in];
            float[][] d = new float[out][in / Q8_BLOCK];
            float[] bias = shape == 0 ? new float[out] : null;
            float[] y = new float[out];
            for (int i = 0; i < WARM_CALLS / 2; i++) {
                deinterleave(x, in, even, odd);
                matvecBf16(even, odd, in, w, bias, y, 0, out);
                matvecF16(even, odd, in, w, bias, y, 0, out);
                matvecQ8(x, in, q, d, bias, y, 0, out);
                widen(w[i % out], (i & 1) == 0, x, 0);
                widenQ8(q[i % out], d[i % out], x, 0);
            }
        }
    }

    /** Splits {@code x[0, in)} into its even ({@code x[2k]}) and odd ({@code x[2k + 1]}) elements. */
    static void deinterleave(float[] x, int in, float[] even, float[] odd) {
        for (int k = 0; k < in / 2; k++) {
            even[k] = x[2 * k];
            odd[k] = x[2 * k + 1];
        }
    }

    /**
     * Widens a packed 16-bit row ({@code pairs.length * 2} values, bfloat16 when {@code bf16}, else float16) to
     * float32 in {@code dst[at ..]}, in element order. Vectorised: an int vector of pairs read as shorts is the
     * values in order (low half first, as little-endian memory), and each half of it widened to ints and shifted
     * to the top of a float is the bfloat16 value (float16: then converted as {@link #f16}).
     */
    static void widen(int[] pairs, boolean bf16, float[] dst, int at) {
        int bound = I.loopBound(pairs.length);
        int k = 0;
        for (; k < bound; k += L) {
            jdk.incubator.vector.ShortVector h = IntVector.fromArray(I, pairs, k).reinterpretAsShorts();
            for (int part = 0; part < 2; part++) {
                IntVector top = ((IntVector) h.convertShape(VectorOperators.S2I, I, part))
                        .lanewise(VectorOperators.LSHL, 16);
                FloatVector f = bf16 ? top.reinterpretAsFloats()
                        : top.lanewise(VectorOperators.ASHR, 3).lanewise(VectorOperators.AND, 0x8FFFFFFF)
                                .reinterpretAsFloats().mul(F16_SCALE);
                f.intoArray(dst, at + 2 * k + part * L);
            }
        }
        for (; k < pairs.length; k++) {
            int p = pairs[k];
            dst[at + 2 * k] = bf16 ? Float.intBitsToFloat(p << 16) : f16(p & 0xFFFF);
            dst[at + 2 * k + 1] = bf16 ? Float.intBitsToFloat(p & 0xFFFF0000) : f16(p >>> 16);
        }
    }

    /**
     * Widens a Q8_0 row ({@code q.length} int8 values, scales {@code d} per block of 32) to float32 in
     * {@code dst[at ..]}: {@code d[b] * q[j]}, exact in float32.
     */
    static void widenQ8(byte[] q, float[] d, float[] dst, int at) {
        if (Q8_BLOCK % L == 0) {
            for (int b = 0, i = 0; i < q.length; b++, i += Q8_BLOCK) {
                FloatVector s = FloatVector.broadcast(S, d[b]);
                for (int j = i; j < i + Q8_BLOCK; j += L) {
                    widen(q, j).mul(s).intoArray(dst, at + j);
                }
            }
            return;
        }
        for (int j = 0; j < q.length; j++) {
            dst[at + j] = d[j / Q8_BLOCK] * q[j];
        }
    }

    /** Packs 16-bit values (bfloat16 or float16 bits) two to an int, as {@link QuantizedKernels} reads them. */
    static int[] pack(short[] halves) {
        if (halves.length % 2 != 0) {
            throw new IllegalArgumentException("16-bit rows are packed in pairs; got " + halves.length + " values");
        }
        int[] out = new int[halves.length / 2];
        for (int k = 0; k < out.length; k++) {
            out[k] = (halves[2 * k] & 0xFFFF) | (halves[2 * k + 1] << 16);
        }
        return out;
    }

    /**
     * Splits one row of Q8_0 blocks as a GGUF file stores them (per block: a little-endian float16 scale, then 32
     * int8 values) into the layout {@link #matvecQ8} reads: the int8 values into {@code q[0, in)} and the scales,
     * widened, into {@code d[0, in / 32)}.
     */
    static void unpackQ8(byte[] blocks, int offset, int in, byte[] q, float[] d) {
        for (int b = 0; b < in / Q8_BLOCK; b++) {
            int at = offset + b * (Q8_BLOCK + 2);
            d[b] = io.steer4j.core.format.gguf.HalfFloats.fromFloat16((short) ((blocks[at] & 0xFF)
                    | (blocks[at + 1] << 8)));
            System.arraycopy(blocks, at + 2, q, b * Q8_BLOCK, Q8_BLOCK);
        }
    }

    /**
     * bfloat16 rows: {@code y[r] = dot(w[r], x) + bias[r]} for {@code r} in {@code [r0, r1)}.
     *
     * @param even {@code x}'s even elements, {@code in / 2} of them ({@link #deinterleave})
     * @param odd  {@code x}'s odd elements
     * @param w    rows of {@code in / 2} packed ints ({@link #pack})
     * @param bias per-row bias, or null
     */
    static void matvecBf16(float[] even, float[] odd, int in, int[][] w, float[] bias, float[] y, int r0, int r1) {
        int r = r0;
        for (; r + 4 <= r1; r += 4) {
            int[] w0 = w[r];
            int[] w1 = w[r + 1];
            int[] w2 = w[r + 2];
            int[] w3 = w[r + 3];
            FloatVector a0 = FloatVector.zero(S);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            int half = in / 2;
            int bound = I.loopBound(half);
            int k = 0;
            for (; k < bound; k += L) {
                FloatVector xe = FloatVector.fromArray(S, even, k);
                FloatVector xo = FloatVector.fromArray(S, odd, k);
                IntVector v0 = IntVector.fromArray(I, w0, k);
                IntVector v1 = IntVector.fromArray(I, w1, k);
                IntVector v2 = IntVector.fromArray(I, w2, k);
                IntVector v3 = IntVector.fromArray(I, w3, k);
                a0 = bf16Lo(v0).fma(xe, bf16Hi(v0).fma(xo, a0));
                a1 = bf16Lo(v1).fma(xe, bf16Hi(v1).fma(xo, a1));
                a2 = bf16Lo(v2).fma(xe, bf16Hi(v2).fma(xo, a2));
                a3 = bf16Lo(v3).fma(xe, bf16Hi(v3).fma(xo, a3));
            }
            float s0 = a0.reduceLanes(VectorOperators.ADD);
            float s1 = a1.reduceLanes(VectorOperators.ADD);
            float s2 = a2.reduceLanes(VectorOperators.ADD);
            float s3 = a3.reduceLanes(VectorOperators.ADD);
            for (; k < half; k++) {
                s0 += bf16Dot(w0[k], even[k], odd[k]);
                s1 += bf16Dot(w1[k], even[k], odd[k]);
                s2 += bf16Dot(w2[k], even[k], odd[k]);
                s3 += bf16Dot(w3[k], even[k], odd[k]);
            }
            store4(s0, s1, s2, s3, bias, y, r);
        }
        for (; r < r1; r++) {
            float s = 0f;
            for (int k = 0; k < in / 2; k++) {
                s += bf16Dot(w[r][k], even[k], odd[k]);
            }
            y[r] = s + (bias == null ? 0f : bias[r]);
        }
    }

    private static FloatVector bf16Lo(IntVector v) {
        return v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    private static FloatVector bf16Hi(IntVector v) {
        return v.lanewise(VectorOperators.AND, 0xFFFF0000).reinterpretAsFloats();
    }

    private static float bf16Dot(int pair, float e, float o) {
        return Float.intBitsToFloat(pair << 16) * e + Float.intBitsToFloat(pair & 0xFFFF0000) * o;
    }

    /**
     * float16 rows, as {@link #matvecBf16} (same packing, same split {@code x}), two rows at a time: with four, C2
     * (Java 17) gave up inlining part of the conversions and boxed the vectors even after {@link #warmUp}, 5x
     * slower (0.4-1.1 against 2.5-4.5 G weights/s in paired runs).
     */
    static void matvecF16(float[] even, float[] odd, int in, int[][] w, float[] bias, float[] y, int r0, int r1) {
        int r = r0;
        int half = in / 2;
        int bound = I.loopBound(half);
        for (; r + 2 <= r1; r += 2) {
            int[] w0 = w[r];
            int[] w1 = w[r + 1];
            FloatVector a0 = FloatVector.zero(S);
            FloatVector a1 = a0;
            int k = 0;
            for (; k < bound; k += L) {
                FloatVector xe = FloatVector.fromArray(S, even, k);
                FloatVector xo = FloatVector.fromArray(S, odd, k);
                IntVector v0 = IntVector.fromArray(I, w0, k);
                IntVector v1 = IntVector.fromArray(I, w1, k);
                a0 = f16Lo(v0).fma(xe, f16Hi(v0).fma(xo, a0));
                a1 = f16Lo(v1).fma(xe, f16Hi(v1).fma(xo, a1));
            }
            float s0 = a0.reduceLanes(VectorOperators.ADD);
            float s1 = a1.reduceLanes(VectorOperators.ADD);
            for (; k < half; k++) {
                s0 += f16Dot(w0[k], even[k], odd[k]);
                s1 += f16Dot(w1[k], even[k], odd[k]);
            }
            y[r] = s0 + (bias == null ? 0f : bias[r]);
            y[r + 1] = s1 + (bias == null ? 0f : bias[r + 1]);
        }
        for (; r < r1; r++) {
            float s = 0f;
            for (int k = 0; k < half; k++) {
                s += f16Dot(w[r][k], even[k], odd[k]);
            }
            y[r] = s + (bias == null ? 0f : bias[r]);
        }
    }

    /** 2^112: a half's bits moved into a float's place read as the value times 2^-112. */
    private static final float F16_SCALE = 0x1p112f;

    /**
     * The low halves as floats: shifted to the top ({@code << 16}), then arithmetically 3 right, which leaves the
     * sign at bit 31 (and copies of it in bits 28..30, masked off) and the magnitude at bits 13..27.
     */
    private static FloatVector f16Lo(IntVector v) {
        return v.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3)
                .lanewise(VectorOperators.AND, 0x8FFFFFFF).reinterpretAsFloats().mul(F16_SCALE);
    }

    /** The high halves as floats: already on top, so one arithmetic shift and a mask that drops the low half. */
    private static FloatVector f16Hi(IntVector v) {
        return v.lanewise(VectorOperators.ASHR, 3).lanewise(VectorOperators.AND, 0x8FFFE000).reinterpretAsFloats()
                .mul(F16_SCALE);
    }

    /** One half of a packed pair as float, by the same bit operations as the vector lanes. */
    static float f16(int halfBits) {
        return Float.intBitsToFloat(((halfBits << 16) >> 3) & 0x8FFFFFFF) * F16_SCALE;
    }

    private static float f16Dot(int pair, float e, float o) {
        return f16(pair & 0xFFFF) * e + f16(pair >>> 16) * o;
    }

    /**
     * Q8_0 rows: {@code y[r] = sum over blocks b of d[r][b] * dot(q[r][b-th 32], x[b-th 32]) + bias[r]}.
     *
     * @param in a multiple of {@link #Q8_BLOCK}
     * @param q  rows of {@code in} int8 values
     * @param d  rows of {@code in / 32} block scales
     */
    static void matvecQ8(float[] x, int in, byte[][] q, float[][] d, float[] bias, float[] y, int r0, int r1) {
        if (in % Q8_BLOCK != 0) {
            throw new IllegalArgumentException("Q8_0 rows hold whole blocks of 32; got " + in);
        }
        int r = r0;
        boolean vectorBlocks = Q8_BLOCK % L == 0;
        for (; vectorBlocks && r + 4 <= r1; r += 4) {
            byte[] q0 = q[r];
            byte[] q1 = q[r + 1];
            byte[] q2 = q[r + 2];
            byte[] q3 = q[r + 3];
            float[] d0 = d[r];
            float[] d1 = d[r + 1];
            float[] d2 = d[r + 2];
            float[] d3 = d[r + 3];
            FloatVector a0 = FloatVector.zero(S);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            for (int b = 0, i = 0; i < in; b++, i += Q8_BLOCK) {
                FloatVector p0 = FloatVector.zero(S);
                FloatVector p1 = p0;
                FloatVector p2 = p0;
                FloatVector p3 = p0;
                for (int j = i; j < i + Q8_BLOCK; j += L) {
                    FloatVector xv = FloatVector.fromArray(S, x, j);
                    p0 = widen(q0, j).fma(xv, p0);
                    p1 = widen(q1, j).fma(xv, p1);
                    p2 = widen(q2, j).fma(xv, p2);
                    p3 = widen(q3, j).fma(xv, p3);
                }
                a0 = p0.fma(FloatVector.broadcast(S, d0[b]), a0);
                a1 = p1.fma(FloatVector.broadcast(S, d1[b]), a1);
                a2 = p2.fma(FloatVector.broadcast(S, d2[b]), a2);
                a3 = p3.fma(FloatVector.broadcast(S, d3[b]), a3);
            }
            store4(a0.reduceLanes(VectorOperators.ADD), a1.reduceLanes(VectorOperators.ADD),
                    a2.reduceLanes(VectorOperators.ADD), a3.reduceLanes(VectorOperators.ADD), bias, y, r);
        }
        for (; r < r1; r++) {
            float s = 0f;
            for (int b = 0, i = 0; i < in; b++, i += Q8_BLOCK) {
                float p = 0f;
                for (int j = i; j < i + Q8_BLOCK; j++) {
                    p += q[r][j] * x[j];
                }
                s += d[r][b] * p;
            }
            y[r] = s + (bias == null ? 0f : bias[r]);
        }
    }

    private static FloatVector widen(byte[] q, int j) {
        return (FloatVector) ByteVector.fromArray(B, q, j).convertShape(VectorOperators.B2F, S, 0);
    }

    private static void store4(float s0, float s1, float s2, float s3, float[] bias, float[] y, int r) {
        if (bias != null) {
            s0 += bias[r];
            s1 += bias[r + 1];
            s2 += bias[r + 2];
            s3 += bias[r + 3];
        }
        y[r] = s0;
        y[r + 1] = s1;
        y[r + 2] = s2;
        y[r + 3] = s3;
    }
}
