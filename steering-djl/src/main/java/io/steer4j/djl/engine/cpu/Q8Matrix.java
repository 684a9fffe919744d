package io.steer4j.djl.engine.cpu;

import io.steer4j.core.format.gguf.GgmlType;
import io.steer4j.core.format.gguf.GgufModelFile;
import io.steer4j.core.format.gguf.GgufTensorInfo;

import java.io.IOException;
import java.util.Arrays;

/**
 * A weight held as llama.cpp's Q8_0 blocks, about a quarter of float32's bytes: along each row, blocks of 32 int8
 * values {@code q} sharing one scale {@code d}, the weight being {@code d * q}. The decode kernel
 * ({@link QuantizedKernels#matvecQ8}) widens the int8 values inside the product; passes of several tokens widen a
 * block of rows to float32 ({@link #widenRow}) for the float kernels. The scales are held widened to float32 (the
 * file's float16 scale widens exactly), so a row takes {@code cols + cols / 8} bytes: 1.125 bytes a weight against
 * the file's 1.0625.
 *
 * <pre>{@code
 * Q8Matrix w = Q8Matrix.requantized(floatRows);   // null unless the rows are exactly Q8_0 values
 * }</pre>
 *
 * @param q    the rows' int8 values, {@code cols} each
 * @param d    the rows' block scales, {@code cols / 32} each
 * @param cols values per row (a multiple of 32)
 */
public record Q8Matrix(byte[][] q, float[][] d, int cols) implements WeightMatrix {
    /** Values per block. */
    public static final int BLOCK = QuantizedKernels.Q8_BLOCK;

    /** Checks the shape: at least one row, whole blocks, every row {@code cols} values and {@code cols / 32} scales. */
    public Q8Matrix {
        if (q.length == 0 || cols <= 0 || cols % BLOCK != 0 || d.length != q.length) {
            throw new IllegalArgumentException("Q8_0 rows hold whole blocks of " + BLOCK + ", at least one row; got "
                    + q.length + " rows of " + cols + " values and " + d.length + " rows of scales");
        }
        for (int r = 0; r < q.length; r++) {
            if (q[r].length != cols || d[r].length != cols / BLOCK) {
                throw new IllegalArgumentException("row " + r + " has " + q[r].length + " values and " + d[r].length
                        + " scales, expected " + cols + " and " + cols / BLOCK);
            }
        }
    }

    /**
     * The Q8_0 blocks whose values are exactly {@code rows}, or null when some block's values are not.
     *
     * <p>Why this works for a dequantised Q8_0 tensor: its values are {@code d * q} with {@code d} a float16 and
     * {@code q} in [-127, 127], exact in float32 (11 + 7 significant bits), and ggml's quantiser gives every
     * non-zero block some {@code |q| = 127}. Quantising them again as ggml does ({@code d' = max|x| / 127},
     * {@code q' = roundf(x / d')}) gives {@code d' = 127 d / 127 = d} exactly and so {@code q' = q}; an all-zero
     * block gives {@code d' = 0, q' = 0}. Each block is checked ({@code q' * d' == x} for all 32 values), so values
     * that were not Q8_0 (or a file whose quantiser left every {@code |q|} below 127 in a block) are refused
     * rather than rounded.
     *
     * @param rows rows of equal length, a multiple of 32
     */
    public static Q8Matrix requantized(float[][] rows) {
        int cols = rows.length == 0 ? 0 : rows[0].length;
        if (rows.length == 0 || cols == 0 || cols % BLOCK != 0) {
            return null;
        }
        byte[][] q = new byte[rows.length][];
        float[][] d = new float[rows.length][];
        for (int r = 0; r < rows.length; r++) {
            if (rows[r].length != cols) {
                return null;
            }
            q[r] = new byte[cols];
            d[r] = new float[cols / BLOCK];
            if (!requantizeRow(rows[r], q[r], d[r])) {
                return null;
            }
        }
        return new Q8Matrix(q, d, cols);
    }

    /** Quantises one row as ggml's {@code quantize_row_q8_0_ref}; false when it is not exactly its blocks' values. */
    private static boolean requantizeRow(float[] x, byte[] q, float[] d) {
        for (int b = 0; b < d.length; b++) {
            int at = b * BLOCK;
            float amax = 0f;
            for (int j = at; j < at + BLOCK; j++) {
                amax = Math.max(amax, Math.abs(x[j]));
            }
            float scale = amax / 127f;
            float inverse = scale != 0f ? 1f / scale : 0f;
            for (int j = at; j < at + BLOCK; j++) {
                float v = x[j] * inverse;
                if (!(Math.abs(v) <= 127.5f)) { // also NaN
                    return false;
                }
                int k = Math.round(Math.abs(v)); // roundf: on |v| >= 0, Math.round's halves up are halves away from zero
                byte qj = (byte) (v < 0 ? -k : k);
                if (qj * scale != x[j]) {
                    return false;
                }
                q[j] = qj;
            }
            d[b] = scale;
        }
        return true;
    }

    /**
     * Reads a 2-D Q8_0 tensor of {@code f} as it is stored (the blocks' float16 scales widened, the int8 values
     * copied).
     *
     * @throws IllegalArgumentException when the tensor is not a 2-D Q8_0 tensor
     */
    public static Q8Matrix fromGguf(GgufModelFile f, GgufTensorInfo t) throws IOException {
        if (t.dims().length != 2 || t.type() != GgmlType.Q8_0) {
            throw new IllegalArgumentException("tensor '" + t.name() + "' (" + t.type() + ", dims "
                    + Arrays.toString(t.dims()) + ") is not a 2-D Q8_0 matrix");
        }
        int in = Math.toIntExact(t.dims()[0]);
        int out = Math.toIntExact(t.dims()[1]);
        byte[] stored = f.storedBytes(t);
        int rowBytes = (int) t.type().byteSize(in);
        byte[][] q = new byte[out][in];
        float[][] d = new float[out][in / BLOCK];
        for (int r = 0; r < out; r++) {
            QuantizedKernels.unpackQ8(stored, r * rowBytes, in, q[r], d[r]);
        }
        return new Q8Matrix(q, d, in);
    }

    @Override
    public int rows() {
        return q.length;
    }

    /** Bytes held: one per value and four per block's scale. */
    @Override
    public long bytes() {
        return (long) rows() * (cols + 4L * (cols / BLOCK));
    }

    @Override
    public void widenRow(int r, float[] dst, int at) {
        QuantizedKernels.widenQ8(q[r], d[r], dst, at);
    }
}
