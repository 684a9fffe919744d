package io.steer4j.core.vector;

import java.util.List;
import java.util.Objects;

/**
 * Activations captured at one layer: {@code rows} examples × {@code dim} hidden units, row-major float32.
 *
 * <p>Row {@code i} of a positive matrix and row {@code i} of the matching negative matrix are the two sides of
 * contrastive pair {@code i}; paired methods ({@link VectorMethod#PCA_DIFF}, {@link VectorMethod#PCA_CENTER})
 * rely on that order. Immutable: the data array is copied in and never handed out.
 *
 * <pre>{@code
 * ActivationMatrix pos = ActivationMatrix.ofRows(List.of(h0, h1, h2));   // each h is a float[hidden]
 * float x = pos.get(1, 0);
 * }</pre>
 */
public final class ActivationMatrix {
    private final int rows;
    private final int dim;
    private final float[] data;

    /**
     * Wraps a copy of {@code data}, which holds {@code rows * dim} values row by row.
     *
     * @throws IllegalArgumentException if the sizes are not positive, do not match the data length, or a value is
     *                                  NaN or infinite (the message names row and column)
     */
    public ActivationMatrix(int rows, int dim, float[] data) {
        Objects.requireNonNull(data, "data");
        if (rows <= 0 || dim <= 0) {
            throw new IllegalArgumentException("an activation matrix needs at least one row and one column, got "
                    + rows + " x " + dim);
        }
        if ((long) rows * dim != data.length) {
            throw new IllegalArgumentException(rows + " x " + dim + " needs " + (long) rows * dim
                    + " values, got " + data.length);
        }
        for (int i = 0; i < data.length; i++) {
            if (!Float.isFinite(data[i])) {
                throw new IllegalArgumentException("non-finite activation " + data[i] + " at row " + i / dim
                        + ", column " + i % dim);
            }
        }
        this.rows = rows;
        this.dim = dim;
        this.data = data.clone();
    }

    /**
     * Stacks rows of equal length.
     *
     * @throws IllegalArgumentException if there are no rows or their lengths differ (naming the row)
     */
    public static ActivationMatrix ofRows(List<float[]> rowList) {
        Objects.requireNonNull(rowList, "rows");
        if (rowList.isEmpty()) {
            throw new IllegalArgumentException("an activation matrix needs at least one row");
        }
        int d = rowList.get(0).length;
        float[] flat = new float[Math.multiplyExact(rowList.size(), d)];
        for (int r = 0; r < rowList.size(); r++) {
            float[] row = rowList.get(r);
            if (row.length != d) {
                throw new IllegalArgumentException("row " + r + " has length " + row.length + ", row 0 has " + d);
            }
            System.arraycopy(row, 0, flat, r * d, d);
        }
        return new ActivationMatrix(rowList.size(), d, flat);
    }

    /** Stacks rows of equal length. */
    public static ActivationMatrix ofRows(float[]... rowArray) {
        return ofRows(List.of(rowArray));
    }

    /** Number of examples. */
    public int rows() {
        return rows;
    }

    /** Hidden size. */
    public int dim() {
        return dim;
    }

    /** The value at {@code (row, column)}. */
    public float get(int row, int column) {
        Objects.checkIndex(row, rows);
        Objects.checkIndex(column, dim);
        return data[row * dim + column];
    }

    /** A copy of row {@code row}. */
    public float[] row(int row) {
        Objects.checkIndex(row, rows);
        float[] out = new float[dim];
        System.arraycopy(data, row * dim, out, 0, dim);
        return out;
    }

    /** The backing array, for the vector methods in this package only; never modified or exposed. */
    float[] data() {
        return data;
    }
}
