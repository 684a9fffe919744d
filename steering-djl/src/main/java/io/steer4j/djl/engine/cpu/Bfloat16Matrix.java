package io.steer4j.djl.engine.cpu;

import io.steer4j.core.format.gguf.HalfFloats;

/**
 * A weight held as bfloat16, half the bytes of float32, widened to float32 inside the products
 * ({@link QuantizedKernels#matvecBf16}): each row is {@code cols / 2} ints, element {@code 2k} in the low half of
 * int {@code k} and {@code 2k + 1} in the high half, as a little-endian file stores a pair.
 *
 * <pre>{@code
 * Bfloat16Matrix w = Bfloat16Matrix.rounded(floatRows);   // round to nearest even, as torch's .to(bfloat16)
 * }</pre>
 *
 * @param packed the rows, {@code cols / 2} ints each
 * @param cols   values per row (even)
 */
public record Bfloat16Matrix(int[][] packed, int cols) implements WeightMatrix {
    /** Checks the shape: at least one row, an even width, every row {@code cols / 2} ints. */
    public Bfloat16Matrix {
        PackedHalves.checkShape(packed, cols, "bfloat16");
    }

    /**
     * Rows of {@code cols} floats ({@code values[r * cols ..]}) rounded to bfloat16 (to nearest, ties to even;
     * exact for values that came from bfloat16, as a widened bfloat16 checkpoint's do).
     */
    public static Bfloat16Matrix rounded(float[] values, int rows, int cols) {
        return new Bfloat16Matrix(PackedHalves.pack(values, rows, cols, HalfFloats::toBfloat16), cols);
    }

    @Override
    public int rows() {
        return packed.length;
    }

    @Override
    public long bytes() {
        return 2L * rows() * cols;
    }

    @Override
    public void widenRow(int r, float[] dst, int at) {
        QuantizedKernels.widen(packed[r], true, dst, at);
    }
}
