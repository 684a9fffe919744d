package io.steer4j.djl.steering;

import io.steer4j.djl.hooks.ActivationHook;

/**
 * The hook both activation captures (decoders and encoders) install: it reads a padded batch's activation
 * {@code [rows, t, hidden]} and stores, per row, the mean of the columns that row's read position names (one
 * column for a single position, the text's tokens for the mean), leaving the activation unchanged.
 */
final class ColumnMeanReader {
    private ColumnMeanReader() {
    }

    /**
     * @param out     one slot per text of the whole capture; row {@code r} of this batch goes to {@code out[base + r]}
     * @param columns per row of the batch, the padded-batch columns to average
     */
    static ActivationHook into(float[][] out, int base, int[][] columns, int t, int hidden) {
        return (site, x) -> {
            float[] all = x.toFloatArray();
            for (int r = 0; r < columns.length; r++) {
                float[] v = new float[hidden];
                for (int c : columns[r]) {
                    int off = (r * t + c) * hidden;
                    for (int d = 0; d < hidden; d++) {
                        v[d] += all[off + d];
                    }
                }
                if (columns[r].length > 1) {
                    for (int d = 0; d < hidden; d++) {
                        v[d] /= columns[r].length;
                    }
                }
                out[base + r] = v;
            }
            return x;
        };
    }
}
