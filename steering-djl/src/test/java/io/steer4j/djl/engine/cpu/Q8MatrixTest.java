package io.steer4j.djl.engine.cpu;

import io.steer4j.core.format.gguf.GgmlType;
import io.steer4j.core.format.gguf.GgufModelFile;
import io.steer4j.core.format.gguf.GgufTensorInfo;
import io.steer4j.core.format.gguf.GgufWriter;
import io.steer4j.core.format.safetensors.SafetensorsHeader;
import io.steer4j.core.format.safetensors.SafetensorsTensorInfo;
import io.steer4j.djl.RealModels;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Q8_0 weights as the Java engine holds them. The blocks of a GGUF file, quantised by the project's writer exactly
 * as ggml quantises (goldens of {@code GgufQuantizedTensorTest}), come back exactly, scales and int8 values, when
 * their dequantised float32 values are quantised again ({@link Q8Matrix#requantized}): on every matrix of a real
 * model (stories260k) whose rows are whole blocks, and on made blocks with the cases that could break it (all zero,
 * a negative largest value, tiny and huge scales, float16-subnormal scales).
 */
class Q8MatrixTest {
    @TempDir
    static Path dir;
    private static Path file;
    private static final List<String> NAMES = new ArrayList<>();

    /** stories260k's whole-block matrices and the made edge blocks, written Q8_0 to one GGUF file. */
    @BeforeAll
    static void write() throws IOException {
        Path weights = RealModels.require("stories260k").resolve("model.safetensors");
        GgufWriter w = new GgufWriter();
        try (FileChannel ch = FileChannel.open(weights)) {
            SafetensorsHeader h = SafetensorsHeader.read(ch, weights);
            for (SafetensorsTensorInfo t : h.tensors()) {
                if (t.shape().length == 2 && t.shape()[1] % Q8Matrix.BLOCK == 0) {
                    w.addTensor(t.name(), t.shape(), GgmlType.Q8_0, h.readFloats(ch, t, weights));
                    NAMES.add(t.name());
                }
            }
        }
        w.addTensor("edge", new long[] {edgeRows().length, 64}, GgmlType.Q8_0, flat(edgeRows()));
        NAMES.add("edge");
        float[] vanishing = new float[32];
        vanishing[0] = 3e-9f; // largest / 127 is below half of float16's smallest subnormal (2^-24)
        vanishing[1] = -1e-9f;
        w.addTensor("vanishing", new long[] {1, 32}, GgmlType.Q8_0, vanishing);
        file = dir.resolve("q8.gguf");
        w.writeAtomically(file);
        QuantizedKernels.warmUp();
    }

    /**
     * Rows of two blocks each: all zero; largest magnitude negative; a tie-prone block (values k + 0.5 times a
     * scale); values about 1e-5 (a float16-subnormal scale, a few times 2^-24); values about 6e3 (scale near float16's
     * largest binade); one spike among zeros; a block of one repeated negative value.
     */
    private static float[][] edgeRows() {
        Random rnd = new Random(28);
        float[][] rows = new float[7][64];
        for (int j = 0; j < 64; j++) {
            rows[1][j] = (float) rnd.nextGaussian();
            rows[2][j] = (j % 32 - 15.5f) * 0.37f;
            rows[3][j] = (float) (rnd.nextGaussian() * 1e-5);
            rows[4][j] = (float) (rnd.nextGaussian() * 6e3);
            rows[6][j] = -0.25f;
        }
        rows[1][5] = -9f;
        rows[1][40] = -7.5f;
        rows[5][3] = 2.5f;
        rows[5][33] = -1e-3f;
        return rows;
    }

    private static float[] flat(float[][] rows) {
        float[] out = new float[rows.length * rows[0].length];
        for (int r = 0; r < rows.length; r++) {
            System.arraycopy(rows[r], 0, out, r * rows[r].length, rows[r].length);
        }
        return out;
    }

    private static float[][] rows(float[] flat, int cols) {
        float[][] out = new float[flat.length / cols][cols];
        for (int r = 0; r < out.length; r++) {
            System.arraycopy(flat, r * cols, out[r], 0, cols);
        }
        return out;
    }

    @Test
    void requantisingTheDequantisedValuesGivesBackTheFilesScalesAndInt8Values() throws IOException {
        try (GgufModelFile f = GgufModelFile.open(file)) {
            for (String name : NAMES) {
                GgufTensorInfo t = f.tensor(name).orElseThrow();
                Q8Matrix stored = Q8Matrix.fromGguf(f, t);
                Q8Matrix again = Q8Matrix.requantized(rows(f.floats(t), stored.cols()));
                assertNotNull(again, name + ": refused as not Q8_0 values");
                for (int r = 0; r < stored.rows(); r++) {
                    assertArrayEquals(stored.d()[r], again.d()[r], name + " row " + r + " scales");
                    assertArrayEquals(stored.q()[r], again.q()[r], name + " row " + r + " int8 values");
                }
            }
        }
    }

    @Test
    void theEdgeBlocksIncludeAZeroBlockANegativeMaximumAndAFloat16SubnormalScale() throws IOException {
        try (GgufModelFile f = GgufModelFile.open(file)) {
            Q8Matrix edge = Q8Matrix.fromGguf(f, f.tensor("edge").orElseThrow());
            assertEquals(0f, edge.d()[0][0]);
            assertEquals(-127, edge.q()[1][5], "the negative largest value is q = -127");
            float sub = edge.d()[3][0];
            assertTrue(sub > 0 && sub < 6.1e-5f, "float16-subnormal scale, got " + sub);
        }
    }

    /**
     * The one case where the bits differ: a block so small that its scale rounds to zero in float16 keeps non-zero
     * int8 values in the file (quantised with the unrounded scale) but dequantises to zeros, which requantise to
     * d = 0, q = 0. The values, and so every product, are the same (ggml's quantiser does the same, keeping
     * the int8 values of a scale it then stores as zero).
     */
    @Test
    void aBlockWhoseScaleRoundsToZeroRequantisesToTheSameZeroValues() throws IOException {
        try (GgufModelFile f = GgufModelFile.open(file)) {
            GgufTensorInfo t = f.tensor("vanishing").orElseThrow();
            Q8Matrix stored = Q8Matrix.fromGguf(f, t);
            assertEquals(0f, stored.d()[0][0]);
            assertEquals(127, stored.q()[0][0]);
            Q8Matrix again = Q8Matrix.requantized(rows(f.floats(t), 32));
            assertNotNull(again);
            float[] a = new float[32];
            float[] b = new float[32];
            stored.widenRow(0, a, 0);
            again.widenRow(0, b, 0);
            for (int j = 0; j < 32; j++) {
                assertEquals(0f, a[j], 0f);
                assertTrue(a[j] == b[j], "value " + j); // -0.0 (q < 0 times d = 0) equals 0.0 in every product
            }
            assertArrayEquals(new byte[32], again.q()[0]);
        }
    }

    @Test
    void widenedRowsAreExactlyTheReadersDequantisedValues() throws IOException {
        try (GgufModelFile f = GgufModelFile.open(file)) {
            for (String name : NAMES) {
                GgufTensorInfo t = f.tensor(name).orElseThrow();
                Q8Matrix m = Q8Matrix.fromGguf(f, t);
                float[] expected = f.floats(t);
                float[] widened = new float[m.rows() * m.cols() + 3];
                for (int r = 0; r < m.rows(); r++) {
                    m.widenRow(r, widened, 3 + r * m.cols());
                }
                for (int i = 0; i < expected.length; i++) {
                    assertEquals(expected[i], widened[3 + i], name + " value " + i);
                }
            }
        }
    }

    @Test
    void valuesThatAreNotQ8BlocksAreRefused() {
        Random rnd = new Random(5);
        float[][] rows = new float[2][64];
        for (float[] row : rows) {
            for (int j = 0; j < row.length; j++) {
                row[j] = (float) rnd.nextGaussian();
            }
        }
        assertNull(Q8Matrix.requantized(rows), "random floats");
        float[][] nan = new float[1][32];
        nan[0][7] = Float.NaN;
        assertNull(Q8Matrix.requantized(nan), "a NaN");
        assertNull(Q8Matrix.requantized(new float[3][48]), "rows that are not whole blocks");
    }

    @Test
    void storedRowsMultiplyAsTheWidenedTensor() throws IOException {
        Random rnd = new Random(28);
        try (GgufModelFile f = GgufModelFile.open(file)) {
            for (String name : NAMES) {
                GgufTensorInfo t = f.tensor(name).orElseThrow();
                Q8Matrix m = Q8Matrix.fromGguf(f, t);
                float[] widened = f.floats(t);
                int in = m.cols();
                float[] x = new float[in];
                for (int i = 0; i < in; i++) {
                    x[i] = (float) rnd.nextGaussian();
                }
                float[] y = new float[m.rows()];
                QuantizedKernels.matvecQ8(x, in, m.q(), m.d(), null, y, 0, m.rows());
                for (int r = 0; r < m.rows(); r++) {
                    double exact = 0;
                    double magnitude = 0;
                    for (int k = 0; k < in; k++) {
                        exact += (double) widened[r * in + k] * x[k];
                        magnitude += Math.abs((double) widened[r * in + k] * x[k]);
                    }
                    assertEquals(exact, y[r], 1e-5 * magnitude + 1e-30, name + " row " + r);
                }
            }
        }
    }

    @Test
    void theMatrixHoldsOneBytePerValueAndAFloatPerBlock() {
        Q8Matrix m = new Q8Matrix(new byte[3][64], new float[3][2], 64);
        assertEquals(3 * (64 + 2 * 4), m.bytes());
    }
}
