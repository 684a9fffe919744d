package io.steer4j.djl.engine.cpu;

import io.steer4j.core.format.gguf.GgmlType;
import io.steer4j.core.format.gguf.HalfFloats;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The 16-bit and Q8_0 products against scalar references: the same weights widened to float32 by the GGUF codecs
 * ({@link HalfFloats}, {@link GgmlType#decode}), dotted in double. Shapes leave row tails (not a multiple of the
 * vector length) and a row remainder (not a multiple of the four-row blocks), and carry a bias.
 */
class QuantizedKernelsTest {
    private static final int OUT = 4 * 5 + 3;
    private final Random rnd = new Random(28);

    private float[] randoms(int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (rnd.nextGaussian() * scale);
        }
        return a;
    }

    /** Checks {@code y} against {@code sum_k w[r][k] x[k] + bias[r]} in double, to float rounding of the sums. */
    private static void assertProducts(float[][] widened, float[] x, float[] bias, float[] y) {
        for (int r = 0; r < widened.length; r++) {
            double exact = bias[r];
            double magnitude = Math.abs(bias[r]);
            for (int k = 0; k < x.length; k++) {
                exact += (double) widened[r][k] * x[k];
                magnitude += Math.abs((double) widened[r][k] * x[k]);
            }
            assertEquals(exact, y[r], 1e-5 * magnitude + 1e-30, "row " + r);
        }
    }

    @Test
    void bfloat16ProductsEqualTheWidenedWeightsDottedInFloat() {
        int in = 2 * 64 + 6;
        float[] x = randoms(in, 1);
        float[] bias = randoms(OUT, 1);
        int[][] w = new int[OUT][];
        float[][] widened = new float[OUT][in];
        for (int r = 0; r < OUT; r++) {
            short[] h = new short[in];
            for (int k = 0; k < in; k++) {
                h[k] = HalfFloats.toBfloat16((float) rnd.nextGaussian());
                widened[r][k] = HalfFloats.fromBfloat16(h[k]);
            }
            w[r] = QuantizedKernels.pack(h);
        }
        float[] even = new float[in / 2];
        float[] odd = new float[in / 2];
        QuantizedKernels.deinterleave(x, in, even, odd);
        float[] y = new float[OUT];
        QuantizedKernels.matvecBf16(even, odd, in, w, bias, y, 0, OUT);
        assertProducts(widened, x, bias, y);
    }

    @Test
    void float16ProductsEqualTheWidenedWeightsDottedInFloatSubnormalsAndZerosIncluded() {
        int in = 2 * 64 + 6;
        float[] x = randoms(in, 1);
        float[] bias = randoms(OUT, 1);
        int[][] w = new int[OUT][];
        float[][] widened = new float[OUT][in];
        for (int r = 0; r < OUT; r++) {
            short[] h = new short[in];
            for (int k = 0; k < in; k++) {
                float v = switch (k % 7) {
                    case 0 -> 0f;
                    case 1 -> -0f;
                    case 2 -> (float) (rnd.nextGaussian() * 1e-6); // float16 subnormals
                    default -> (float) (rnd.nextGaussian() * 3);
                };
                h[k] = HalfFloats.toFloat16(v);
                widened[r][k] = HalfFloats.fromFloat16(h[k]);
            }
            w[r] = QuantizedKernels.pack(h);
        }
        float[] even = new float[in / 2];
        float[] odd = new float[in / 2];
        QuantizedKernels.deinterleave(x, in, even, odd);
        float[] y = new float[OUT];
        QuantizedKernels.matvecF16(even, odd, in, w, bias, y, 0, OUT);
        assertProducts(widened, x, bias, y);
    }

    /**
     * Widening a packed row (as the prompt passes do) gives each value in element order, at the given offset:
     * bfloat16 and finite float16 values exactly as the codecs widen them; 101 pairs leave a tail after the
     * vector loop.
     */
    @Test
    void widenedRowsHoldEveryValueInElementOrder() {
        Random rnd = new Random(2816);
        for (boolean bf16 : new boolean[] {true, false}) {
            short[] h = new short[202];
            for (int i = 0; i < h.length; i++) {
                int bits = rnd.nextInt(1 << 16);
                h[i] = (short) (!bf16 && (bits & 0x7C00) == 0x7C00 ? bits & 0xBFFF : bits); // finite halves
                if (bf16 && (bits & 0x7F80) == 0x7F80) {
                    h[i] = (short) (bits & 0xBFFF); // no infinities or NaNs: compared by value
                }
            }
            float[] dst = new float[5 + h.length + 3];
            QuantizedKernels.widen(QuantizedKernels.pack(h), bf16, dst, 5);
            for (int i = 0; i < h.length; i++) {
                float expected = bf16 ? HalfFloats.fromBfloat16(h[i]) : HalfFloats.fromFloat16(h[i]);
                assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(dst[5 + i]),
                        (bf16 ? "bfloat16" : "float16") + " value " + i);
            }
            assertEquals(0f, dst[4]);
            assertEquals(0f, dst[5 + h.length]);
        }
    }

    @Test
    void theFloat16BitConversionIsExactForEveryFiniteHalf() {
        for (int h = 0; h < 0x10000; h++) {
            if ((h & 0x7C00) == 0x7C00) {
                continue; // infinities and NaNs: documented as not handled
            }
            assertEquals(Float.floatToRawIntBits(HalfFloats.fromFloat16((short) h)),
                    Float.floatToRawIntBits(QuantizedKernels.f16(h)), "half bits " + Integer.toHexString(h));
        }
    }

    @Test
    void q8_0ProductsEqualTheDequantizedWeightsDottedInFloat() {
        int in = 32 * 7;
        float[] x = randoms(in, 1);
        float[] bias = randoms(OUT, 1);
        byte[][] q = new byte[OUT][in];
        float[][] d = new float[OUT][in / 32];
        float[][] widened = new float[OUT][];
        for (int r = 0; r < OUT; r++) {
            byte[] stored = GgmlType.Q8_0.encode(randoms(in, 0.05));
            widened[r] = GgmlType.Q8_0.decode(ByteBuffer.wrap(stored), in);
            QuantizedKernels.unpackQ8(stored, 0, in, q[r], d[r]);
        }
        float[] y = new float[OUT];
        QuantizedKernels.matvecQ8(x, in, q, d, bias, y, 0, OUT);
        assertProducts(widened, x, bias, y);
    }

    @Test
    void aRowRangeWritesOnlyItsRows() {
        int in = 64;
        byte[][] q = new byte[OUT][in];
        float[][] d = new float[OUT][in / 32];
        for (int r = 0; r < OUT; r++) {
            QuantizedKernels.unpackQ8(GgmlType.Q8_0.encode(randoms(in, 1)), 0, in, q[r], d[r]);
        }
        float[] y = new float[OUT];
        java.util.Arrays.fill(y, Float.NaN);
        QuantizedKernels.matvecQ8(randoms(in, 1), in, q, d, null, y, 5, 14);
        for (int r = 0; r < OUT; r++) {
            assertEquals(r >= 5 && r < 14, !Float.isNaN(y[r]), "row " + r);
        }
        assertTrue(y[5] != 0f);
    }
}
