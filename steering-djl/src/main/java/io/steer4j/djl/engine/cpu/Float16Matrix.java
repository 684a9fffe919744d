package io.steer4j.djl.engine.cpu;

import io.steer4j.core.format.gguf.HalfFloats;

/**
 * A weight held as IEEE float16, half the bytes of float32, widened to float32 inside the products
 * ({@link QuantizedKernels#matvecF16}, which converts with bit operations: Java 17 has no float16 conversion).
 * Rows are packed as {@link Bfloat16Matrix}'s: element {@code 2k} in the low half of int {@code k}, {@code 2k + 1}
 * in the high half.
 *
 * @param packed the rows, {@code cols / 2} ints each
 * @param cols   values per row (even)
 */
public record Float16Matrix(int[][] packed, int cols) implements WeightMatrix {
    /** Checks the shape: at least one row, an even width, every row {@code cols / 2} ints. */
    public Float16Matrix {
        if (packed.length == 0 || cols <= 0 || cols % 2 != 0) {
            throw new IllegalArgumentException("float16 rows hold an even number of values, at least one row; got "
                    + packed.length + " rows of " + cols);
        }
        for (int r = 0; r < packed.length; r++) {
            if (packed[r].length != cols / 2) {
                throw new IllegalArgumentException("row " + r + " has " + 2 * packed[r].length + " values, expected "
                        + cols);
            }
        }
    }

    /**
     * Rows of {@code cols} floats ({@code values[r * cols ..]}) rounded to float16 (to nearest, ties to even;
     * exact for values that came from float16, as a widened float16 checkpoint's do).
     */
    public static Float16Matrix rounded(float[] values, int rows, int cols) {
        if ((long) rows * cols != values.length) {
            throw new IllegalArgumentException(values.length + " values are not " + rows + " rows of " + cols);
        }
        int[][] packed = new int[rows][cols / 2];
        for (int r = 0; r < rows; r++) {
            int[] row = packed[r];
            int at = r * cols;
            for (int k = 0; k < cols / 2; k++) {
                row[k] = (HalfFloats.toFloat16(values[at + 2 * k]) & 0xFFFF)
                        | (HalfFloats.toFloat16(values[at + 2 * k + 1]) << 16);
            }
        }
        return new Float16Matrix(packed, cols);
    }

    @Override
    public int rows() {
        return packed.length;
    }

    @Override
    public long bytes() {
        return 2L * rows() * cols;
    }

    /** Exact for every finite half (the kernels' conversion; see {@link QuantizedKernels#f16}). */
    @Override
    public void widenRow(int r, float[] dst, int at) {
        QuantizedKernels.widen(packed[r], false, dst, at);
    }
}
