package io.steer4j.djl.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.steer4j.fixtures.TinyCheckpoints;
import io.steer4j.fixtures.TinyFamily;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * The Java CPU engine's copy of the weights ({@link WeightStore#floats}) holds the values libtorch sees, whether
 * it is read from the file (a tensor viewed in place, or GPT-2's transposed Conv1D view) or copied out of a
 * tensor libtorch built (a fused projection), and so do its rows ({@link WeightStore#rows}), the products' layout.
 */
class WeightStoreFloatsTest {

    @TempDir
    Path tmp;

    /** The tiny GPT-2 checkpoint's store, and a manager for what it loads. */
    private record Gpt2(WeightStore store, NDManager m) implements AutoCloseable {
        @Override
        public void close() {
            m.close();
            store.close();
        }
    }

    private Gpt2 gpt2() throws IOException {
        Path dir = TinyCheckpoints.gpt2(tmp.resolve("gpt2"));
        return new Gpt2(new WeightStore(dir, ModelFamily.GPT2.namePrefixes(), Precision.FLOAT32),
                NDManager.newBaseManager("PyTorch"));
    }

    @Test
    void aTensorViewedInPlaceIsReadFromTheFileWithTheSameValues() throws IOException {
        try (Gpt2 g = gpt2()) {
            NDArray wte = g.store().load(g.m(), "wte.weight", 297, 32);
            assertArrayEquals(wte.toFloatArray(), g.store().floats(wte));
        }
    }

    @Test
    void aTransposedConv1dViewIsReadInItsLogicalOrder() throws IOException {
        try (Gpt2 g = gpt2()) {
            NDArray fc = g.store().load(g.m(), "h.1.mlp.c_fc.weight", 32, 128);
            NDArray view = g.store().transposed(fc);
            // what libtorch multiplies: [out, in], row-major
            assertArrayEquals(view.toType(ai.djl.ndarray.types.DataType.FLOAT32, true).toFloatArray(),
                    g.store().floats(view));
            assertArrayEquals(fc.toFloatArray(), g.store().floats(fc));
        }
    }

    @Test
    void aTensorLibtorchBuiltIsCopiedOutOfLibtorch() throws IOException {
        Path dir = TinyFamily.LLAMA.writeCheckpoint(tmp.resolve("llama"));
        ModelConfig c = ModelConfig.read(dir.resolve("config.json"));
        try (WeightStore store = new WeightStore(dir, ModelFamily.LLAMA.namePrefixes(), Precision.FLOAT32);
             NDManager m = NDManager.newBaseManager("PyTorch")) {
            ModelWeights w = ModelFamily.LLAMA.load(c, store, m);
            NDArray fusedQkv = w.layers()[0].qkvW(); // q | k | v concatenated by libtorch: not a view of the file
            assertArrayEquals(fusedQkv.toFloatArray(), store.floats(fusedQkv));
            assertArrayEquals(w.embed().toFloatArray(), store.floats(w.embed()));
        }
    }

    @Test
    void theRowsOfAViewOfATransposedViewAndOfACopyAreItsLogicalRows() throws IOException {
        Path dir = TinyFamily.LLAMA.writeCheckpoint(tmp.resolve("llama-rows"));
        ModelConfig c = ModelConfig.read(dir.resolve("config.json"));
        try (Gpt2 g = gpt2();
             WeightStore store = new WeightStore(dir, ModelFamily.LLAMA.namePrefixes(), Precision.FLOAT32);
             NDManager m = NDManager.newBaseManager("PyTorch")) {
            NDArray wte = g.store().load(g.m(), "wte.weight", 297, 32);
            NDArray fc = g.store().transposed(g.store().load(g.m(), "h.1.mlp.c_fc.weight", 32, 128));
            NDArray fusedQkv = ModelFamily.LLAMA.load(c, store, m).layers()[0].qkvW();
            assertRows(wte, g.store().rows(wte));
            assertRows(fc, g.store().rows(fc));
            assertRows(fusedQkv, store.rows(fusedQkv));
        }
    }

    private static void assertRows(NDArray a, float[][] rows) {
        float[] flat = a.toType(ai.djl.ndarray.types.DataType.FLOAT32, true).toFloatArray();
        int out = (int) a.getShape().get(0);
        int in = (int) a.getShape().get(1);
        org.junit.jupiter.api.Assertions.assertEquals(out, rows.length, "row count");
        for (int r = 0; r < out; r++) {
            assertArrayEquals(java.util.Arrays.copyOfRange(flat, r * in, (r + 1) * in), rows[r], "row " + r);
        }
    }
}
