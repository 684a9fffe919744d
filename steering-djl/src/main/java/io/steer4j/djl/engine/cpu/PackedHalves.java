package io.steer4j.djl.engine.cpu;

/**
 * Rows of 16-bit values packed two to an int, as {@link Bfloat16Matrix} and {@link Float16Matrix} hold them:
 * element {@code 2k} in the low half of int {@code k}, {@code 2k + 1} in the high half, as a little-endian file
 * stores a pair. The two formats differ only in how a float is rounded to its 16 bits.
 */
final class PackedHalves {
    /** A float's 16 bits in one format, rounded to nearest even. */
    interface Rounding {
        short bits(float f);
    }

    private PackedHalves() {
    }

    /** Refuses an empty matrix, an odd width, or a row that is not {@code cols / 2} ints. */
    static void checkShape(int[][] packed, int cols, String format) {
        if (packed.length == 0 || cols <= 0 || cols % 2 != 0) {
            throw new IllegalArgumentException(format + " rows hold an even number of values, at least one row; got "
                    + packed.length + " rows of " + cols);
        }
        for (int r = 0; r < packed.length; r++) {
            if (packed[r].length != cols / 2) {
                throw new IllegalArgumentException("row " + r + " has " + 2 * packed[r].length + " values, expected "
                        + cols);
            }
        }
    }

    /** {@code rows} rows of {@code cols} floats ({@code values[r * cols ..]}), each rounded by {@code rounding}. */
    static int[][] pack(float[] values, int rows, int cols, Rounding rounding) {
        if ((long) rows * cols != values.length) {
            throw new IllegalArgumentException(values.length + " values are not " + rows + " rows of " + cols);
        }
        int[][] packed = new int[rows][cols / 2];
        for (int r = 0; r < rows; r++) {
            int[] row = packed[r];
            int at = r * cols;
            for (int k = 0; k < cols / 2; k++) {
                row[k] = (rounding.bits(values[at + 2 * k]) & 0xFFFF) | (rounding.bits(values[at + 2 * k + 1]) << 16);
            }
        }
        return packed;
    }
}
