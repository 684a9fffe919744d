package io.steer4j.djl.engine.cpu;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Vector API products against a double-precision loop, on shapes that exercise every remainder: row counts
 * that are not multiples of the 4- and 8-row blocks, token counts that fill panels partly, row lengths that are
 * not multiples of the vector length or of the decode loop's two vectors, and a sub-range of rows as one thread
 * of the team computes it.
 */
class SimdKernelsTest {

    @ParameterizedTest(name = "t={0} out={1} in={2} rows [{3}, {4})")
    @CsvSource({
        "1, 37, 19, 0, 37",
        "1, 64, 768, 16, 48",
        "1, 13, 53, 0, 13",
        "2, 9, 40, 0, 9",
        "3, 37, 50, 0, 37",
        "5, 29, 64, 0, 29",
        "6, 16, 64, 0, 16",
        "11, 21, 35, 4, 20",
        "16, 48, 768, 16, 48",
        "22, 13, 47, 0, 13",
        "12, 37, 19, 0, 37",
        "13, 45, 33, 0, 45",
        "16, 64, 48, 16, 48",
        "17, 23, 100, 0, 23",
        "37, 41, 70, 8, 40",
        "37, 41, 600, 8, 40",
        "64, 24, 300, 0, 24",
        "33, 17, 513, 0, 17"
    })
    void productsMatchADoublePrecisionLoop(int t, int out, int in, int r0, int r1) {
        SplittableRandom rnd = new SplittableRandom(t * 1000L + out * 10L + in);
        float[] x = random(rnd, t * in);
        float[] w = random(rnd, out * in);
        float[] bias = random(rnd, out);
        float[][] wRows = new float[out][];
        for (int r = 0; r < out; r++) {
            wRows[r] = java.util.Arrays.copyOfRange(w, r * in, (r + 1) * in);
        }
        float[] rows = new float[t * out];
        SimdKernels.matmulRows(x, t, in, wRows, bias, rows, out, r0, r1);
        float[] panels = new float[t * out];
        if (t >= SimdKernels.PANEL_MIN_TOKENS) {
            SimdKernels.matmulPanels(x, packed(x, t, in), t, in, wRows, bias, panels, out, r0, r1,
                    SimdKernels.INPUT_BLOCK);
        }
        for (int j = 0; j < t; j++) {
            for (int r = 0; r < out; r++) {
                boolean mine = r >= r0 && r < r1;
                double expected = 0;
                if (mine) {
                    expected = bias[r];
                    for (int i = 0; i < in; i++) {
                        expected += (double) w[r * in + i] * x[j * in + i];
                    }
                }
                String at = "token " + j + " row " + r;
                assertEquals(expected, rows[j * out + r], 1e-4 * Math.sqrt(in), "rows: " + at);
                if (t >= SimdKernels.PANEL_MIN_TOKENS) {
                    assertEquals(expected, panels[j * out + r], 1e-4 * Math.sqrt(in), "panels: " + at);
                }
                if (!mine) {
                    assertTrue(rows[j * out + r] == 0f, "a row outside the range is left alone: " + at);
                }
            }
        }
    }

    private static float[] packed(float[] x, int t, int in) {
        int np = SimdKernels.panels(t);
        float[] xP = new float[np * in * SimdKernels.panelWidth()];
        SimdKernels.packPanels(x, t, in, xP, 0, np);
        return xP;
    }

    /**
     * The prompt kernel's register and cache blocking never changes a result: each output is the fused
     * multiply-add of its inputs in input order, then the bias, exactly, for one input block or several.
     */
    @ParameterizedTest(name = "t={0} out={1} in={2}")
    @CsvSource({
        "12, 9, 40",
        "37, 17, 600",
        "64, 16, 513"
    })
    void thePromptKernelSumsEachOutputInInputOrder(int t, int out, int in) {
        SplittableRandom rnd = new SplittableRandom(t * 7L + out * 3L + in);
        float[] x = random(rnd, t * in);
        float[] bias = random(rnd, out);
        float[][] w = new float[out][];
        for (int r = 0; r < out; r++) {
            w[r] = random(rnd, in);
        }
        float[] y = new float[t * out];
        SimdKernels.matmulPanels(x, packed(x, t, in), t, in, w, bias, y, out, 0, out, SimdKernels.INPUT_BLOCK);
        float[] unblocked = new float[t * out];
        SimdKernels.matmulPanels(x, packed(x, t, in), t, in, w, bias, unblocked, out, 0, out, in);
        assertArrayEquals(unblocked, y, 0f, "blocked and unblocked");
        for (int j = 0; j < t; j++) {
            for (int r = 0; r < out / 8 * 8; r++) { // rows past the last block of 8 are dot products
                float acc = 0f;
                for (int k = 0; k < in; k++) {
                    acc = Math.fma(x[j * in + k], w[r][k], acc);
                }
                assertEquals(acc + bias[r], y[j * out + r], "token " + j + " row " + r);
            }
        }
    }

    /** A one-panel prompt's sixteen-row tiles compute every output as the eight-row tiles do, to the bit. */
    @ParameterizedTest(name = "t={0} out={1} in={2} rows [{3}, {4})")
    @CsvSource({
        "12, 45, 33, 0, 45",
        "16, 64, 48, 16, 64",
        "16, 40, 600, 0, 40",
        "9, 16, 19, 0, 16"
    })
    void sixteenRowTilesGiveTheBitsOfEightRowTiles(int t, int out, int in, int r0, int r1) {
        SplittableRandom rnd = new SplittableRandom(t * 31L + out * 7L + in);
        float[] x = random(rnd, t * in);
        float[] bias = random(rnd, out);
        float[][] w = new float[out][];
        for (int r = 0; r < out; r++) {
            w[r] = random(rnd, in);
        }
        float[] eight = new float[t * out];
        SimdKernels.matmulPanels(x, packed(x, t, in), t, in, w, bias, eight, out, r0, r1, SimdKernels.INPUT_BLOCK,
                null, false);
        float[] sixteen = new float[t * out];
        SimdKernels.matmulPanels(x, packed(x, t, in), t, in, w, bias, sixteen, out, r0, r1, SimdKernels.INPUT_BLOCK,
                null, true);
        assertArrayEquals(eight, sixteen, 0f);
    }

    @ParameterizedTest(name = "head size {0}, {1} visible slots")
    @CsvSource({
        "64, 1",
        "64, 37",
        "8, 16",
        "19, 40",
        "128, 150"
    })
    void attentionOfOneHeadMatchesADoublePrecisionSoftmax(int hd, int visible) {
        SplittableRandom rnd = new SplittableRandom(hd * 1000L + visible);
        int base = 3 * hd; // the head's slots start inside a larger array, as a cache layer's do
        float[] keys = random(rnd, base + (visible + 2) * hd);
        float[] values = random(rnd, keys.length);
        float[] q = random(rnd, 2 * hd);
        float scale = (float) (4 / Math.sqrt(hd)); // sharper than 1/sqrt(hd), so the softmax is far from flat
        float[] ctx = new float[3 * hd];
        AttentionKernels.attendHead(q, hd, keys, values, base, visible, hd, scale, new float[visible], ctx, hd);

        double[] p = new double[visible];
        double max = Double.NEGATIVE_INFINITY;
        for (int s = 0; s < visible; s++) {
            for (int i = 0; i < hd; i++) {
                p[s] += (double) q[hd + i] * keys[base + s * hd + i];
            }
            p[s] *= scale;
            max = Math.max(max, p[s]);
        }
        double sum = 0;
        for (int s = 0; s < visible; s++) {
            p[s] = Math.exp(p[s] - max);
            sum += p[s];
        }
        for (int i = 0; i < hd; i++) {
            double expected = 0;
            for (int s = 0; s < visible; s++) {
                expected += p[s] / sum * values[base + s * hd + i];
            }
            assertEquals(expected, ctx[hd + i], 1e-5, "feature " + i);
        }
        for (int i = 0; i < hd; i++) {
            assertTrue(ctx[i] == 0f && ctx[2 * hd + i] == 0f, "only the head's own slice is written: " + i);
        }
    }

    /**
     * A panel of queries gives each query its own causal attention: every query of the panel sees the cached slots
     * and the pass's tokens up to itself, no later one, as {@link AttentionKernels#attendHead} computes it per query.
     */
    @ParameterizedTest(name = "head size {0}, {1} cached slots, panel of {2} queries from token {3}")
    @CsvSource({
        "64, 0, 16, 0",
        "64, 5, 16, 16",
        "10, 3, 7, 32",
        "8, 0, 1, 0"
    })
    void aPanelOfQueriesAttendsCausallyAsEachQueryAlone(int hd, int past, int n, int j0) {
        int lanes = SimdKernels.panelWidth();
        n = Math.min(n, lanes);
        SplittableRandom rnd = new SplittableRandom(hd * 31L + past * 7L + n + j0);
        int width = 3 * hd + 5; // a query row holds other heads too: this head's query starts at qOff
        int qOff = hd + 2;
        int tokens = j0 + n;
        float[] qkv = random(rnd, tokens * width);
        int base = 2 * hd; // the head's slots start inside a larger array, as a cache layer's do
        float[] keys = random(rnd, base + (past + tokens + 3) * hd);
        float[] values = random(rnd, keys.length);
        float scale = (float) (4 / Math.sqrt(hd));
        int ctxWidth = 2 * hd;
        float[] ctx = new float[tokens * ctxWidth];
        AttentionKernels.attendPanel(qkv, width, qOff, j0, n, keys, values, base, past, hd, scale, new float[hd * lanes],
                new float[(past + tokens) * lanes], ctx, ctxWidth, hd);
        for (int l = 0; l < n; l++) {
            int j = j0 + l;
            float[] alone = new float[hd];
            AttentionKernels.attendHead(qkv, j * width + qOff, keys, values, base, past + j + 1, hd, scale,
                    new float[past + j + 1], alone, 0);
            for (int i = 0; i < hd; i++) {
                assertEquals(alone[i], ctx[j * ctxWidth + hd + i], 1e-5, "query " + j + " feature " + i);
                assertTrue(ctx[j * ctxWidth + i] == 0f, "only the head's own slice is written: " + i);
            }
        }
    }

    private static float[] random(SplittableRandom rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return a;
    }
}
