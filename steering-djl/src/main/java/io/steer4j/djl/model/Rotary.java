package io.steer4j.djl.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import io.steer4j.djl.engine.RotaryAngles;

/**
 * Rotary position embedding in the "rotate half" convention: with {@code x1 = x[..., :d/2]} and
 * {@code x2 = x[..., d/2:d]} of the first {@code d} channels, {@code x' = x * cos + cat(-x2, x1) * sin}; channels
 * past {@code d} (partial rotary) pass through.
 *
 * <p>The cos/sin tables are computed once per model and gathered by position per call, so a decode step costs
 * two small gathers and a few elementwise ops, no Java loop over channels. They start at
 * {@value #INITIAL_ROWS} positions (a 128K-context model would otherwise spend ~130 MB on rows no call uses) and
 * double on demand up to the context length; a grown table replaces the old one atomically, and the old one stays
 * valid for calls still reading it until the model closes.
 */
final class Rotary {
    static final int INITIAL_ROWS = 4096;

    private record Tables(int rows, NDArray cos, NDArray sinSigned) {
    }

    private final NDManager manager;
    private final RotaryAngles angles;
    private final int dims;
    private final int headDim;
    private final int limit;
    private volatile Tables tables;

    Rotary(RotaryAngles angles, int headDim, int contextLength, NDManager manager) {
        this.manager = manager;
        this.angles = angles;
        this.dims = angles.dims();
        this.headDim = headDim;
        this.limit = contextLength;
        this.tables = build(Math.min(contextLength, INITIAL_ROWS));
    }

    /**
     * Tables {@code [P, dims]}: {@code cos(p * f)} over {@code cat(f, f)}, and sin with the first half negated, so
     * that {@code rotate_half(x) * sin == cat(x2, x1) * sinSigned} without a negation per call; the angles are
     * {@link RotaryAngles#tables}', as the Java CPU engine's.
     */
    private Tables build(int rows) {
        int half = dims / 2;
        float[] c = new float[rows * half];
        float[] s = new float[rows * half];
        angles.tables(0, rows, c, s);
        float[] cos = new float[rows * dims];
        float[] sin = new float[rows * dims];
        for (int p = 0; p < rows; p++) {
            int base = p * dims;
            for (int i = 0; i < half; i++) {
                cos[base + i] = c[p * half + i];
                cos[base + half + i] = c[p * half + i];
                sin[base + i] = -s[p * half + i];
                sin[base + half + i] = s[p * half + i];
            }
        }
        return new Tables(rows, manager.create(cos, new Shape(rows, dims)), manager.create(sin, new Shape(rows, dims)));
    }

    private synchronized Tables grow(long maxPosition) {
        Tables t = tables;
        if (maxPosition < t.rows()) {
            return t;
        }
        long rows = Math.max(2L * t.rows(), maxPosition + 1);
        t = build((int) Math.min(limit, rows));
        tables = t;
        return t;
    }

    /**
     * Gathers {@code [batch, 1, tokens, dims]} cos and signed-sin rows for {@code positions} ({@code [batch,
     * tokens]} int64 on the call's manager, all in {@code [0, maxPosition]}).
     */
    NDArray[] at(NDArray positions, long maxPosition) {
        Tables t = tables;
        if (maxPosition >= t.rows()) {
            t = grow(maxPosition);
        }
        NDArray cos = Embedding.embedding(positions, t.cos(), SparseFormat.DENSE).singletonOrThrow().expandDims(1);
        NDArray sin = Embedding.embedding(positions, t.sinSigned(), SparseFormat.DENSE).singletonOrThrow().expandDims(1);
        return new NDArray[] {cos, sin};
    }

    /** Rotates {@code x} ({@code [batch, heads, tokens, headDim]}) by the gathered tables of {@link #at}. */
    NDArray apply(NDArray x, NDArray[] cosSin) {
        int half = dims / 2;
        boolean partial = dims < headDim;
        NDArray rot = partial ? x.get(new NDIndex(":, :, :, :{}", dims)) : x;
        NDArray x1 = rot.get(new NDIndex(":, :, :, :{}", half));
        NDArray x2 = rot.get(new NDIndex(":, :, :, {}:", half));
        NDArray out = rot.mul(cosSin[0]).add(x2.concat(x1, 3).mul(cosSin[1]));
        return partial ? out.concat(x.get(new NDIndex(":, :, :, {}:", dims)), 3) : out;
    }
}
