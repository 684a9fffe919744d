package io.steer4j.djl.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The rotary tables and rotation, checked by hand, including positions past the tables' initial size. */
class RotaryTest {
    /**
     * Head 6 with 4 rotated channels (pairs (0, 2) and (1, 3)); channels 4 and 5 pass through. Positions 3 and
     * 5000 (beyond {@link Rotary#INITIAL_ROWS}, so the tables grow).
     */
    @Test
    void rotatesChannelPairsHalfApartAndPassesTheRestThrough() {
        try (NDManager m = NDManager.newBaseManager()) {
            RopeConfig rope = RopeConfig.plain(4, 10000);
            Rotary r = new Rotary(rope.angles(), 6, 8192, m);
            float[] inv = rope.inverseFrequencies();
            long[] pos = {3, 5000};
            float[] x = {1, 2, 3, 4, 5, 6};
            NDArray xs = m.create(new float[][] {x, x}).reshape(1, 1, 2, 6); // [batch, heads, tokens, head]
            float[] out = r.apply(xs, r.at(m.create(pos, new Shape(1, 2)), 5000)).toFloatArray();
            for (int t = 0; t < 2; t++) {
                float[] got = java.util.Arrays.copyOfRange(out, t * 6, t * 6 + 6);
                for (int i = 0; i < 2; i++) {
                    float angle = (float) pos[t] * inv[i];
                    double c = Math.cos(angle);
                    double s = Math.sin(angle);
                    assertEquals(x[i] * c - x[i + 2] * s, got[i], 1e-5, "t=" + t + " channel " + i);
                    assertEquals(x[i + 2] * c + x[i] * s, got[i + 2], 1e-5, "t=" + t + " channel " + (i + 2));
                }
                assertEquals(5f, got[4]);
                assertEquals(6f, got[5]);
            }
        }
    }
}
