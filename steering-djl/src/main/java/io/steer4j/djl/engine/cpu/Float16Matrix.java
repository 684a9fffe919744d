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
        PackedHalves.checkShape(packed, cols, "float16");
    }

    /**
     * Rows of {@code cols} floats ({@code values[r * cols ..]}) rounded to float16 (to nearest, ties to even;
     * exact for values that came from float16, as a widened float16 checkpoint's do).
     */
    public static Float16Matrix rounded(float[] values, int rows, int cols) {
        return new Float16Matrix(PackedHalves.pack(values, rows, cols, HalfFloats::toFloat16), cols);
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
