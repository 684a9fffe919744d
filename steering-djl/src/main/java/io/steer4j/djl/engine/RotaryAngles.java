package io.steer4j.djl.engine;

/**
 * Rotary position embedding (RoPE) as the engines compute it, in the "rotate half" convention of {@code LlamaModel}
 * and {@code GPTNeoXModel}: within the first {@link #dims()} channels of a head, channel {@code i} pairs with
 * channel {@code i + dims/2} and both turn by {@code position * inverseFrequencies[i]}; later channels pass through.
 *
 * <p>The angle is the float32 product {@code (float) position * inv[i]}, as transformers computes
 * {@code inv_freq @ position_ids} in float32: at position ~4000 its rounding is ~1e-4 rad, so computing it in
 * double would drift from the reference on long contexts. Both engines take their cos and sin from {@link
 * #tables}, so they round alike.
 */
public final class RotaryAngles {
    private final float[] inverseFrequencies;
    private final int dims;

    /**
     * @param inverseFrequencies the {@code dims / 2} frequencies (scaling already applied)
     * @param dims               rotated channels per head, even
     */
    public RotaryAngles(float[] inverseFrequencies, int dims) {
        if (dims <= 0 || dims % 2 != 0 || inverseFrequencies.length != dims / 2) {
            throw new IllegalArgumentException("rotary dimensions must be even and twice the " + inverseFrequencies.length
                    + " frequencies, got " + dims);
        }
        this.inverseFrequencies = inverseFrequencies.clone();
        this.dims = dims;
    }

    /** Rotated channels per head. */
    public int dims() {
        return dims;
    }

    /**
     * {@code cos} and {@code sin} of the angles of positions {@code start .. start+count-1}, {@code [count][dims /
     * 2]} into the two arrays.
     */
    public void tables(int start, int count, float[] cos, float[] sin) {
        int half = dims / 2;
        for (int j = 0; j < count; j++) {
            for (int i = 0; i < half; i++) {
                float angle = (float) (start + j) * inverseFrequencies[i];
                cos[j * half + i] = (float) Math.cos(angle);
                sin[j * half + i] = (float) Math.sin(angle);
            }
        }
    }

    /**
     * Rotates {@code heads} heads of {@code headDim} floats starting at {@code v[off]} in place, by row {@code j} of
     * {@link #tables}' {@code cos} and {@code sin}.
     */
    public void rotate(float[] v, int off, int heads, int headDim, float[] cos, float[] sin, int j) {
        int half = dims / 2;
        for (int h = 0; h < heads; h++) {
            int base = off + h * headDim;
            for (int i = 0; i < half; i++) {
                float co = cos[j * half + i];
                float si = sin[j * half + i];
                float x1 = v[base + i];
                float x2 = v[base + half + i];
                v[base + i] = x1 * co - x2 * si;
                v[base + half + i] = x2 * co + x1 * si;
            }
        }
    }
}
