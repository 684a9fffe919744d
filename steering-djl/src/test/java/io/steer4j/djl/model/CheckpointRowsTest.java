package io.steer4j.djl.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.steer4j.core.format.safetensors.SafetensorsDtype;
import io.steer4j.fixtures.TinyCheckpoints;
import io.steer4j.fixtures.TinyFamily;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The Java engine's rows read straight from a bfloat16 file ({@link CheckpointRows}) are libtorch's arrays made
 * from the same recipes ({@link WeightStore#array}), value for value, for every recipe a family uses: GPT-2's
 * transposed Conv1D weights, Llama's fused q|k|v and gate|up (and Qwen2's fused biases), GPT-NeoX's regrouped
 * per-head rows and bias, and the plain stored tensors (embeddings, norms, learned positions).
 */
class CheckpointRowsTest {
    @TempDir
    static Path dir;

    static List<Arguments> checkpoints() {
        List<Arguments> out = new ArrayList<>();
        out.add(Arguments.of("gpt2"));
        for (TinyFamily f : TinyFamily.values()) {
            out.add(Arguments.of(f.id()));
        }
        return out;
    }

    private static Path bfloat16(String id) throws IOException {
        Path dst = dir.resolve(id + "-bf16");
        if (id.equals("gpt2")) {
            return TinyCheckpoints.gpt2(dst, SafetensorsDtype.BF16);
        }
        for (TinyFamily f : TinyFamily.values()) {
            if (f.id().equals(id)) {
                return HalfPrecisionCheckpoint.of(f.write(dir.resolve(id)), dst, SafetensorsDtype.BF16);
            }
        }
        throw new IllegalArgumentException(id);
    }

    @ParameterizedTest
    @MethodSource("checkpoints")
    void everyRecipeReadFromTheFileEqualsLibtorchsArray(String id) throws IOException {
        Path ckpt = bfloat16(id);
        ModelConfig c = ModelConfig.read(ckpt.resolve("config.json"));
        ModelFamily family = c.family();
        try (WeightStore store = new WeightStore(ckpt, family.namePrefixes(), Precision.FLOAT32);
             CheckpointRows file = new CheckpointRows();
             NDManager m = NDManager.newBaseManager("PyTorch")) {
            WeightLayout layout = family.layout(c, store);
            assertEquals(SafetensorsDtype.BF16, store.matrixDtype());
            for (TensorRecipe r : layout.matrices()) {
                float[] expected = values(store.array(r, m));
                assertArrayEquals(expected, widen(file.packedRows(r)), id + " 16-bit rows of " + r);
                assertArrayEquals(expected, file.floats(r), id + " float rows of " + r);
            }
            List<TensorRecipe> vectors = new ArrayList<>();
            vectors.add(layout.positions());
            vectors.add(layout.finalNorm().weight());
            vectors.add(layout.finalNorm().bias());
            for (WeightLayout.Layer b : layout.layers()) {
                vectors.addAll(java.util.Arrays.asList(b.norm1().weight(), b.norm1().bias(), b.norm2().weight(),
                        b.norm2().bias(), b.qkvB(), b.outB(), b.upB(), b.downB()));
            }
            for (TensorRecipe r : vectors) {
                if (r != null) {
                    assertArrayEquals(values(store.array(r, m)), file.floats(r), id + " values of " + r);
                }
            }
        }
    }

    /** An array's values in row-major order of its logical shape (a transposed view made contiguous). */
    private static float[] values(NDArray a) {
        return a.toType(DataType.FLOAT32, true).toFloatArray();
    }

    /** bfloat16 pairs, low half first, widened exactly. */
    private static float[] widen(int[][] packed) {
        int cols = packed[0].length * 2;
        float[] out = new float[packed.length * cols];
        for (int r = 0; r < packed.length; r++) {
            for (int k = 0; k < packed[r].length; k++) {
                out[r * cols + 2 * k] = Float.intBitsToFloat(packed[r][k] << 16);
                out[r * cols + 2 * k + 1] = Float.intBitsToFloat(packed[r][k] & 0xFFFF0000);
            }
        }
        return out;
    }
}
