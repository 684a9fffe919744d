package io.steer4j.djl.engine.cpu;

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
        if (packed.length == 0 || cols <= 0 || cols % 2 != 0) {
            throw new IllegalArgumentException("bfloat16 rows hold an even number of values, at least one row; got "
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
     * Rows of {@code cols} floats ({@code values[r * cols ..]}) rounded to bfloat16 (to nearest, ties to even;
     * exact for values that came from bfloat16, as a widened bfloat16 checkpoint's do).
     */
    public static Bfloat16Matrix rounded(float[] values, int rows, int cols) {
        if ((long) rows * cols != values.length) {
            throw new IllegalArgumentException(values.length + " values are not " + rows + " rows of " + cols);
        }
        int[][] packed = new int[rows][cols / 2];
        for (int r = 0; r < rows; r++) {
            int[] row = packed[r];
            int at = r * cols;
            for (int k = 0; k < cols / 2; k++) {
                row[k] = (bits(values[at + 2 * k]) & 0xFFFF) | (bits(values[at + 2 * k + 1]) << 16);
            }
        }
        return new Bfloat16Matrix(packed, cols);
    }

    /** The bfloat16 bits of {@code f}, rounded to nearest even; NaN stays a quiet NaN. */
    private static int bits(float f) {
        return io.steer4j.core.format.gguf.HalfFloats.toBfloat16(f);
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
