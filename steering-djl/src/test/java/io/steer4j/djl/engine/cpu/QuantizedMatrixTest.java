package io.steer4j.djl.engine.cpu;

import io.steer4j.core.format.gguf.GgmlType;
import io.steer4j.core.format.gguf.GgufModelFile;
import io.steer4j.core.format.gguf.GgufTensorInfo;
import io.steer4j.core.format.gguf.GgufWriter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A GGUF tensor's stored bytes, taken as they are into the kernels' layout, multiply as the same tensor widened
 * to float32 by the GGUF reader: the packing order of 16-bit pairs and of Q8_0 blocks is the file's.
 */
class QuantizedMatrixTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"BF16", "F16", "Q8_0"})
    void storedRowsMultiplyAsTheWidenedTensor(GgmlType type) throws IOException {
        int out = 37;
        int in = 96;
        Random rnd = new Random(28);
        float[] w = new float[out * in];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (rnd.nextGaussian() * 0.1);
        }
        Path file = dir.resolve(type + ".gguf");
        new GgufWriter().addTensor("blk.0.ffn_up.weight", new long[] {out, in}, type, w).writeAtomically(file);
        QuantizedKernels.warmUp();
        try (GgufModelFile f = GgufModelFile.open(file)) {
            GgufTensorInfo t = f.tensor("blk.0.ffn_up.weight").orElseThrow();
            float[] widened = f.floats(t);
            QuantizedMatrix m = QuantizedMatrix.fromGguf(f, t);
            assertEquals(out, m.out());
            assertEquals(in, m.in());
            float[] x = new float[in];
            for (int i = 0; i < in; i++) {
                x[i] = (float) rnd.nextGaussian();
            }
            float[] even = new float[in / 2];
            float[] odd = new float[in / 2];
            QuantizedKernels.deinterleave(x, in, even, odd);
            float[] y = new float[out];
            m.multiply(x, even, odd, null, y, 0, out);
            for (int r = 0; r < out; r++) {
                double exact = 0;
                double magnitude = 0;
                for (int k = 0; k < in; k++) {
                    exact += (double) widened[r * in + k] * x[k];
                    magnitude += Math.abs((double) widened[r * in + k] * x[k]);
                }
                assertEquals(exact, y[r], 1e-5 * magnitude, type + " row " + r);
            }
        }
    }
}
