package io.steer4j.core.format.gguf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * ggml's Q8_0 quantisation: blocks of {@link #BLOCK} values, each stored as a float16 scale {@code d} followed by
 * {@link #BLOCK} signed bytes {@code q}, the value being {@code d * q}.
 *
 * <p>Quantised exactly as ggml's {@code quantize_row_q8_0_ref} (and gguf-py's {@code Q8_0.quantize_blocks}):
 * {@code d = max|x| / 127} in float32, stored rounded to float16; {@code q = roundf(x * (1/d))} with the
 * unrounded {@code d}, rounding half away from zero; an all-zero block has {@code d = 0} and {@code q = 0}.
 */
public final class Q8Blocks {
    /** Values per block. */
    public static final int BLOCK = 32;
    /** Bytes per block: a float16 scale and 32 int8 values. */
    public static final int BLOCK_BYTES = 2 + BLOCK;

    private Q8Blocks() {
    }

    /**
     * Quantises {@code x} (its length a multiple of {@link #BLOCK}) into {@code out} at its position.
     *
     * @throws IllegalArgumentException when the length is not a whole number of blocks
     */
    public static void quantize(float[] x, ByteBuffer out) {
        if (x.length % BLOCK != 0) {
            throw new IllegalArgumentException("Q8_0 needs a multiple of " + BLOCK + " values, got " + x.length);
        }
        ByteBuffer o = out.order(ByteOrder.LITTLE_ENDIAN);
        for (int b = 0; b < x.length; b += BLOCK) {
            float amax = 0f;
            for (int j = 0; j < BLOCK; j++) {
                amax = Math.max(amax, Math.abs(x[b + j]));
            }
            float d = amax / 127f;
            float id = d != 0f ? 1.0f / d : 0f;
            o.putShort(HalfFloats.toFloat16(d));
            for (int j = 0; j < BLOCK; j++) {
                o.put((byte) roundHalfAway(x[b + j] * id));
            }
        }
    }

    /** C's {@code roundf}: nearest integer, halves away from zero (Java's {@code Math.round} rounds them up). */
    static int roundHalfAway(float v) {
        // In double, |v| + 0.5 is exact for the |v| <= 127.5 a block produces, so 0.49999997f stays below 1.
        double r = Math.floor(Math.abs((double) v) + 0.5);
        return (int) (v < 0 ? -r : r);
    }

    /** Dequantises {@code count} values (a multiple of {@link #BLOCK}) from {@code in} at its position. */
    public static void dequantize(ByteBuffer in, float[] out, int offset, int count) {
        ByteBuffer b = in.order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < count; i += BLOCK) {
            float d = HalfFloats.fromFloat16(b.getShort());
            for (int j = 0; j < BLOCK; j++) {
                out[offset + i + j] = d * b.get();
            }
        }
    }
}
