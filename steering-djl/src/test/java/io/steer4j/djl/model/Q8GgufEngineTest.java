package io.steer4j.djl.model;

import ai.djl.ndarray.NDManager;
import io.steer4j.core.dataset.ContrastivePair;
import io.steer4j.core.format.gguf.GgmlType;
import io.steer4j.core.format.vectorfile.VectorFiles;
import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.djl.RealModels;
import io.steer4j.djl.engine.cpu.CpuDecoder;
import io.steer4j.djl.gguf.TinyGgufFiles;
import io.steer4j.djl.hooks.HookSet;
import io.steer4j.djl.steering.PlanHooksForTests;
import io.steer4j.djl.steering.SteeredModel;
import io.steer4j.fixtures.TinyCheckpoints;
import io.steer4j.fixtures.TinyFamily;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A Q8_0 GGUF model file on the Java CPU engine, which keeps its Q8_0 matrices as Q8_0 ({@code Q8Matrix},
 * re-quantised exactly from the unpacked float32 values) and its F16 ones (rows that are not whole blocks) as
 * float16, against the libtorch path on the same file, which runs the dequantised float32 weights. Checked on the
 * tiny GPT-2 fixture (Conv1D matrices, fused q|k|v), the tiny Llama fixture (grouped-query attention, permuted
 * rotary rows, gate|up fused, untied head) and stories260k (a real Llama; its 172-wide down projections are F16 in
 * the file).
 *
 * <p>Tolerance: both engines multiply by the same weight values (a Q8_0 weight {@code d * q} is exact in float32),
 * but the Q8_0 decode kernel sums each block's {@code q * x} and then scales by {@code d}, where libtorch sums
 * {@code (d * q) * x}: a float32 rounding difference like the float32 engines' order of sums, so the same 1e-4 on
 * the logits.
 */
class Q8GgufEngineTest {
    private static final double TOL = 1e-4;
    private static final Map<String, LanguageModel> MODELS = new LinkedHashMap<>();
    private static Path root;

    @BeforeAll
    static void dir() throws IOException {
        root = Files.createTempDirectory("steer4j-q8");
    }

    @AfterAll
    static void close() {
        MODELS.values().forEach(LanguageModel::close);
    }

    /** The float32 folder of checkpoint {@code id}. */
    private static Path float32Folder(String id) throws IOException {
        Path dir = root.resolve(id + "-f32");
        return switch (id) {
            case "gpt2" -> Files.isDirectory(dir) ? dir : TinyCheckpoints.gpt2(dir);
            case "llama-tiny" -> Files.isDirectory(dir) ? dir : TinyFamily.LLAMA.write(dir);
            case "stories260k" -> RealModels.require("stories260k");
            default -> throw new IllegalArgumentException(id);
        };
    }

    /** The Q8_0 GGUF file of checkpoint {@code id}. */
    private static Path q8File(String id) throws IOException {
        Path file = root.resolve(id + "-Q8_0.gguf");
        return Files.isRegularFile(file) ? file : TinyGgufFiles.write(float32Folder(id), file, GgmlType.Q8_0);
    }

    private static LanguageModel model(String key, Path path, CpuEngine engine) {
        return MODELS.computeIfAbsent(key + "/" + engine,
                k -> LanguageModel.load(path, LoadOptions.builder().cpuEngine(engine).build()));
    }

    private static LanguageModel q8(String id, CpuEngine engine) {
        try {
            return model(id + "/q8", q8File(id), engine);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static LanguageModel f32(String id) {
        try {
            return model(id + "/f32", float32Folder(id), CpuEngine.JAVA);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama-tiny", "stories260k"})
    void aShortPromptAndItsDecodeStepsGiveTheLibtorchLogitsWithAPlanActive(String id) {
        assertEnginesAgree(id, new long[] {1, 17, 5, 9, 3, 12, 7}, 12);
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama-tiny", "stories260k"})
    void aLongPromptOnTheTokenPanelKernelGivesTheLibtorchLogitsWithAPlanActive(String id) {
        long[] prompt = new long[37]; // two full 16-token panels and a partial one
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = (i * 7 + 3) % 20;
        }
        assertTrue(prompt.length >= CpuDecoder.PROMPT_KERNEL_MIN_TOKENS);
        assertEnginesAgree(id, prompt, 3);
    }

    /**
     * The Java engine's copy of a Q8_0 file holds each Q8_0 matrix value in 1 byte plus a 4-byte scale per block
     * of 32 (1.125 bytes, against the file's 1.0625), and each F16 one in 2: the difference from the float32
     * checkpoint's copy, matrices counted from the config, is exactly 2.875 bytes per Q8_0 value and 2 per F16
     * value. Norms, biases and learned positions stay float32.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama-tiny", "stories260k"})
    void theQ8CopyHoldsOneAndAnEighthBytesPerQ8Value(String id) {
        LanguageModel full = f32(id);
        LanguageModel q = q8(id, CpuEngine.JAVA);
        assertEquals(CpuEngine.JAVA, q.cpuEngine());
        ModelConfig c = full.config();
        long d = c.hiddenSize();
        long qDim = (long) c.numHeads() * c.headDim();
        long kv = (long) c.numKvHeads() * c.headDim();
        long inner = c.intermediateSize();
        boolean gated = c.modelType().equals("llama");
        long q8Values = (c.tieWordEmbeddings() ? 1 : 2) * c.vocabSize() * d;
        long f16Values = 0;
        for (long[] m : new long[][] {{qDim + 2 * kv, d}, {d, qDim}, {(gated ? 2 : 1) * inner, d}, {d, inner}}) {
            // [out, in]: Q8_0 blocks run along a row, so a row that is not whole blocks was stored F16
            if (m[1] % 32 == 0) {
                q8Values += c.numLayers() * m[0] * m[1];
            } else {
                f16Values += c.numLayers() * m[0] * m[1];
            }
        }
        long expected = full.javaEngineWeightBytes() - q8Values * 23 / 8 - 2 * f16Values;
        assertEquals(expected, q.javaEngineWeightBytes(), id + ": bytes held, float32 copy "
                + full.javaEngineWeightBytes());
        System.out.printf("%s: engine copy, Q8_0 file %d bytes, float32 folder %d bytes (%.3f)%n", id,
                q.javaEngineWeightBytes(), full.javaEngineWeightBytes(),
                (double) q.javaEngineWeightBytes() / full.javaEngineWeightBytes());
    }

    /**
     * A vector file computed on the float32 checkpoint (text pairs, the folder's tokenizer) steers the Q8_0 file
     * as it steers the float32 model: at each of 8 steps, the shift it makes to the logits (steered minus
     * unsteered, both fed the float32 run's steered tokens) differs between the two forms by at most 5 % of the
     * float32 shift's largest magnitude, and the steered greedy tokens are the same.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama-tiny", "stories260k"})
    void aVectorFileComputedOnTheFloat32CheckpointSteersTheQ8FileTheSameWay(String id) throws IOException {
        LanguageModel full = f32(id);
        LanguageModel q = q8(id, CpuEngine.JAVA);
        int layer = full.numLayers() / 2;
        SteeringVector computed = SteeredModel.of(full, SteeringPlan.NONE).computeVector(layer, List.of(
                new ContrastivePair("a happy cat", "a sad cat"),
                new ContrastivePair("the best day", "the worst day"),
                new ContrastivePair("I love it", "I hate it")));
        Path file = root.resolve(id + "-vector.safetensors");
        VectorFiles.write(computed, file);
        SteeringVector v = VectorFiles.read(file);
        SteeringPlan plan = SteeringPlan.of(v, 4.0);
        long[] prompt = {1, 17, 5, 9, 3, 12, 7};
        int steps = 8;
        try (NDManager consts = full.newCallManager()) {
            HookSet hooks = PlanHooksForTests.hooks(plan, consts, full.hiddenSize());
            HookSet none = HookSet.builder().build();
            List<float[]> fullSteered = SixteenBitEngineTest.steps(full, prompt, steps, hooks, null);
            long[] forced = new long[fullSteered.size()];
            for (int i = 0; i < forced.length; i++) {
                forced[i] = SixteenBitEngineTest.argmax(fullSteered.get(i));
            }
            List<float[]> fullPlain = SixteenBitEngineTest.steps(full, prompt, steps, none, forced);
            List<float[]> qSteered = SixteenBitEngineTest.steps(q, prompt, steps, hooks, forced);
            List<float[]> qPlain = SixteenBitEngineTest.steps(q, prompt, steps, none, forced);
            double worst = 0;
            for (int i = 0; i <= steps; i++) {
                double scale = 0;
                double diff = 0;
                for (int k = 0; k < fullSteered.get(i).length; k++) {
                    double shiftFull = fullSteered.get(i)[k] - fullPlain.get(i)[k];
                    double shiftQ = qSteered.get(i)[k] - qPlain.get(i)[k];
                    scale = Math.max(scale, Math.abs(shiftFull));
                    diff = Math.max(diff, Math.abs(shiftFull - shiftQ));
                }
                assertTrue(scale > 0.1, id + " step " + i + ": the vector barely moves the logits (" + scale + ")");
                assertTrue(diff <= 0.05 * scale, id + " step " + i + ": the shift differs by " + diff
                        + ", more than 5 % of " + scale);
                assertEquals(forced[i], SixteenBitEngineTest.argmax(qSteered.get(i)), id + " step " + i
                        + ": steered greedy token");
                worst = Math.max(worst, diff / scale);
            }
            System.out.printf("%s: steering shift, Q8_0 vs float32, worst step %.4f of the shift%n", id, worst);
        }
    }

    /**
     * An F16 or BF16 GGUF file (recorded per matrix like Q8_0) is kept in 16 bits by the Java engine: 2 bytes less
     * per matrix value than the float32 copy, and the libtorch logits at every step with a plan active.
     */
    @ParameterizedTest
    @ValueSource(strings = {"F16", "BF16"})
    void aSixteenBitGgufFileIsKeptInSixteenBits(String type) throws IOException {
        String id = "llama-tiny";
        Path file = root.resolve(id + "-" + type + ".gguf");
        if (!Files.isRegularFile(file)) {
            TinyGgufFiles.write(float32Folder(id), file, GgmlType.valueOf(type));
        }
        LanguageModel half = model(id + "/" + type, file, CpuEngine.JAVA);
        LanguageModel full = f32(id);
        ModelConfig c = full.config();
        long d = c.hiddenSize();
        long qDim = (long) c.numHeads() * c.headDim();
        long kv = (long) c.numKvHeads() * c.headDim();
        long matrices = 2 * c.vocabSize() * d + c.numLayers() * ((qDim + 2 * kv) * d + d * qDim
                + 3 * c.intermediateSize() * d);
        assertEquals(full.javaEngineWeightBytes() - 2 * matrices, half.javaEngineWeightBytes());
        assertEnginesAgree(half, model(id + "/" + type, file, CpuEngine.LIBTORCH), id + " " + type,
                new long[] {1, 17, 5, 9, 3, 12, 7}, 6);
    }

    private static void assertEnginesAgree(String id, long[] prompt, int steps) {
        assertEnginesAgree(q8(id, CpuEngine.JAVA), q8(id, CpuEngine.LIBTORCH), id + " Q8_0", prompt, steps);
    }

    private static void assertEnginesAgree(LanguageModel j, LanguageModel t, String id, long[] prompt, int steps) {
        assertEquals(CpuEngine.JAVA, j.cpuEngine());
        assertEquals(CpuEngine.LIBTORCH, t.cpuEngine());
        List<float[]> java;
        List<float[]> torch;
        try (NDManager consts = j.newCallManager()) {
            java = SixteenBitEngineTest.steps(j, prompt, steps, CpuEngineParityTest.planHooks(j, consts), null);
            torch = SixteenBitEngineTest.steps(t, prompt, steps, CpuEngineParityTest.planHooks(t, consts), null);
        }
        double worst = 0;
        for (int i = 0; i <= steps; i++) {
            float[] e = torch.get(i);
            float[] a = java.get(i);
            assertEquals(e.length, a.length);
            double max = 0;
            for (int k = 0; k < e.length; k++) {
                max = Math.max(max, Math.abs(e[k] - a[k]));
            }
            assertTrue(max <= TOL, id + " step " + i + ": max |logit difference| " + max + " > " + TOL);
            worst = Math.max(worst, max);
        }
        System.out.printf("%s, %d-token prompt: Java vs libtorch, worst step max |logit diff| %.3g%n", id,
                prompt.length, worst);
    }
}
