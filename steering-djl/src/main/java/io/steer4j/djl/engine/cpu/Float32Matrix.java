package io.steer4j.djl.engine.cpu;

/**
 * A weight held as float32 rows, the layout the engine's float kernels read directly.
 *
 * @param values the rows, each of the same length
 */
public record Float32Matrix(float[][] values) implements WeightMatrix {
    /** Checks that there is at least one row and that all rows have one length. */
    public Float32Matrix {
        if (values.length == 0) {
            throw new IllegalArgumentException("a weight matrix needs at least one row");
        }
        for (int r = 1; r < values.length; r++) {
            if (values[r].length != values[0].length) {
                throw new IllegalArgumentException("row " + r + " has " + values[r].length + " values, row 0 "
                        + values[0].length);
            }
        }
    }

    @Override
    public int rows() {
        return values.length;
    }

    @Override
    public int cols() {
        return values[0].length;
    }

    @Override
    public long bytes() {
        return 4L * rows() * cols();
    }

    @Override
    public void widenRow(int r, float[] dst, int at) {
        System.arraycopy(values[r], 0, dst, at, values[r].length);
    }
}
