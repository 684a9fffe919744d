package io.steer4j.djl.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.steer4j.core.format.safetensors.SafetensorsDtype;
import io.steer4j.djl.RealModels;
import io.steer4j.djl.engine.cpu.CpuDecoder;
import io.steer4j.djl.hooks.HookSet;
import io.steer4j.fixtures.TinyCheckpoints;
import io.steer4j.fixtures.TinyFamily;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * bfloat16 and float16 checkpoints on the Java CPU engine, which keeps their matrices in 16 bits and widens them
 * inside the products, against the libtorch path on the same checkpoint, which widens every weight to float32
 * when it loads (see {@link WeightStore}). Both multiply by exactly the same weight values, so the logits may differ only by the
 * order of float32 sums: the tolerance is the float32 engines' ({@link #TOL}, as {@code CpuEngineParityTest}).
 * Checked at every step of a cached generation with a steering plan active: the prompt pass (short: rows widened
 * a block at a time for the dot-product kernels; long: for the token-panel kernel) and the one-token decode steps
 * (the 16-bit kernels). Every step is checked to have run on the Java engine.
 */
class SixteenBitEngineTest {
    /** Largest |logit difference| allowed: float32 summation order only, as between the float32 engines. */
    private static final double TOL = 1e-4;
    private static final Map<String, LanguageModel> MODELS = new LinkedHashMap<>();
    private static Path root;

    @BeforeAll
    static void dir() throws IOException {
        root = Files.createTempDirectory("steer4j-16bit");
    }

    @AfterAll
    static void close() {
        MODELS.values().forEach(LanguageModel::close);
    }

    /** Every checkpoint in each 16-bit dtype. */
    static List<Arguments> checkpoints() {
        List<String> ids = new ArrayList<>(List.of("gpt2", "stories260k"));
        for (TinyFamily f : TinyFamily.values()) {
            ids.add(f.id());
        }
        List<Arguments> out = new ArrayList<>();
        for (SafetensorsDtype d : List.of(SafetensorsDtype.BF16, SafetensorsDtype.F16)) {
            for (String id : ids) {
                out.add(Arguments.of(d, id));
            }
        }
        return out;
    }

    /** The float32 folder of checkpoint {@code id}. */
    private static Path float32Folder(String id) throws IOException {
        Path dir = root.resolve(id + "-f32");
        if (Files.isDirectory(dir)) {
            return dir;
        }
        if (id.equals("gpt2")) {
            return TinyCheckpoints.gpt2(dir);
        }
        if (id.equals("stories260k")) {
            return RealModels.require("stories260k");
        }
        for (TinyFamily f : TinyFamily.values()) {
            if (f.id().equals(id)) {
                return f.write(dir);
            }
        }
        throw new IllegalArgumentException(id);
    }

    /** The {@code dtype} folder of checkpoint {@code id} (GPT-2 as its fixture writes it in that dtype). */
    private static Path folder(String id, SafetensorsDtype dtype) throws IOException {
        if (dtype == SafetensorsDtype.F32) {
            return float32Folder(id);
        }
        Path dir = root.resolve(id + "-" + dtype);
        if (Files.isDirectory(dir)) {
            return dir;
        }
        return id.equals("gpt2") ? TinyCheckpoints.gpt2(dir, dtype)
                : HalfPrecisionCheckpoint.of(float32Folder(id), dir, dtype);
    }

    private static LanguageModel model(String id, SafetensorsDtype dtype, CpuEngine engine) {
        return MODELS.computeIfAbsent(id + "/" + dtype + "/" + engine, k -> {
            try {
                Path dir = folder(id, dtype);
                return LanguageModel.load(dir, LoadOptions.builder().cpuEngine(engine).build());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    @ParameterizedTest
    @MethodSource("checkpoints")
    void aShortPromptAndItsDecodeStepsGiveTheLibtorchLogitsWithAPlanActive(SafetensorsDtype dtype, String id) {
        long[] prompt = {1, 17, 5, 9, 3, 12, 7};
        assertEnginesAgree(model(id, dtype, CpuEngine.JAVA), model(id, dtype, CpuEngine.LIBTORCH), prompt, 12);
    }

    @ParameterizedTest
    @MethodSource("checkpoints")
    void aLongPromptOnTheTokenPanelKernelGivesTheLibtorchLogitsWithAPlanActive(SafetensorsDtype dtype, String id) {
        long[] prompt = new long[37]; // two full 16-token panels and a partial one
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = (i * 7 + 3) % 20;
        }
        assertTrue(prompt.length >= CpuDecoder.PROMPT_KERNEL_MIN_TOKENS);
        assertEnginesAgree(model(id, dtype, CpuEngine.JAVA), model(id, dtype, CpuEngine.LIBTORCH), prompt, 3);
    }

    /**
     * The Java engine's copy of a 16-bit checkpoint holds each matrix value in 2 bytes instead of 4: the
     * difference from the float32 checkpoint's copy is exactly 2 bytes per matrix value, the matrices counted from
     * the config (token embedding, an untied head, and each block's q|k|v, output, up (gate|up) and down);
     * norms, biases and learned positions stay float32.
     */
    @ParameterizedTest
    @MethodSource("checkpoints")
    void theSixteenBitCopyHoldsTwoBytesPerMatrixValue(SafetensorsDtype dtype, String id) {
        LanguageModel f32 = model(id, SafetensorsDtype.F32, CpuEngine.JAVA);
        LanguageModel half = model(id, dtype, CpuEngine.JAVA);
        assertEquals(CpuEngine.JAVA, half.cpuEngine());
        ModelConfig c = f32.config();
        long d = c.hiddenSize();
        long q = (long) c.numHeads() * c.headDim();
        long kv = (long) c.numKvHeads() * c.headDim();
        boolean gated = List.of("llama", "qwen2", "mistral").contains(c.modelType());
        long perLayer = (q + 2 * kv) * d + d * q + (gated ? 2 : 1) * c.intermediateSize() * d
                + d * c.intermediateSize();
        long matrices = (c.tieWordEmbeddings() ? 1 : 2) * c.vocabSize() * d + c.numLayers() * perLayer;
        assertEquals(f32.javaEngineWeightBytes() - 2 * matrices, half.javaEngineWeightBytes(),
                id + ": bytes held, float32 copy " + f32.javaEngineWeightBytes());
    }

    @Test
    void stories260kInBfloat16TakesLittleMoreThanHalfTheHeapOfItsFloat32Copy() {
        long f32 = model("stories260k", SafetensorsDtype.F32, CpuEngine.JAVA).javaEngineWeightBytes();
        long bf16 = model("stories260k", SafetensorsDtype.BF16, CpuEngine.JAVA).javaEngineWeightBytes();
        double ratio = (double) bf16 / f32;
        assertTrue(ratio > 0.5 && ratio < 0.52,
                "bfloat16 / float32 bytes held: " + bf16 + " / " + f32 + " = " + ratio);
    }

    /**
     * The 16-bit checkpoint on the Java engine stays near its float32 original at every step with a plan active:
     * largest |logit difference| within 2 % (float16) or 5 % (bfloat16) of the float32 step's largest |logit|, the
     * tolerances of the GGUF loading test for the same roundings. Both runs are fed the float32 run's greedy
     * tokens, so that one near tie does not send them down different continuations.
     */
    @ParameterizedTest
    @MethodSource("checkpoints")
    void theSixteenBitCheckpointStaysNearItsFloat32OriginalWithAPlanActive(SafetensorsDtype dtype, String id) {
        LanguageModel f32 = model(id, SafetensorsDtype.F32, CpuEngine.JAVA);
        LanguageModel half = model(id, dtype, CpuEngine.JAVA);
        double share = dtype == SafetensorsDtype.BF16 ? 0.05 : 0.02;
        long[] prompt = {1, 17, 5, 9, 3, 12, 7};
        List<float[]> wide;
        List<float[]> narrow;
        try (NDManager consts = f32.newCallManager()) {
            wide = steps(f32, prompt, 12, CpuEngineParityTest.planHooks(f32, consts), null);
            long[] forced = new long[wide.size()];
            for (int i = 0; i < forced.length; i++) {
                forced[i] = argmax(wide.get(i));
            }
            narrow = steps(half, prompt, 12, CpuEngineParityTest.planHooks(half, consts), forced);
        }
        for (int i = 0; i < wide.size(); i++) {
            double max = 0;
            double scale = 0;
            for (int k = 0; k < wide.get(i).length; k++) {
                max = Math.max(max, Math.abs(wide.get(i)[k] - narrow.get(i)[k]));
                scale = Math.max(scale, Math.abs(wide.get(i)[k]));
            }
            assertTrue(max <= share * scale, id + " " + dtype + " step " + i + ": max |logit difference| " + max
                    + " > " + share + " x " + scale);
        }
    }

    private static void assertEnginesAgree(LanguageModel j, LanguageModel t, long[] prompt, int steps) {
        assertEquals(CpuEngine.JAVA, j.cpuEngine());
        assertEquals(CpuEngine.LIBTORCH, t.cpuEngine());
        List<float[]> java;
        List<float[]> torch;
        try (NDManager consts = j.newCallManager()) {
            java = steps(j, prompt, steps, CpuEngineParityTest.planHooks(j, consts), null);
            torch = steps(t, prompt, steps, CpuEngineParityTest.planHooks(t, consts), null);
        }
        for (int i = 0; i <= steps; i++) {
            float[] e = torch.get(i);
            float[] a = java.get(i);
            assertEquals(e.length, a.length);
            double max = 0;
            for (int k = 0; k < e.length; k++) {
                max = Math.max(max, Math.abs(e[k] - a[k]));
            }
            assertTrue(max <= TOL, j.modelId() + " step " + i + ": max |logit difference| " + max + " > " + TOL);
        }
    }

    /**
     * The last-position logits of a prompt pass and {@code steps} decode steps in one cache, each step fed the
     * previous step's greedy token, or {@code forced[i]} after step {@code i} when given; on the Java engine,
     * checks that each step ran there, once.
     */
    static List<float[]> steps(LanguageModel m, long[] prompt, int steps, HookSet hooks, long[] forced) {
        List<float[]> out = new ArrayList<>();
        boolean onJava = m.cpuEngine() == CpuEngine.JAVA;
        try (NDManager call = m.newCallManager()) {
            KvCache cache = m.newCache(call, 1, prompt.length + steps + 1);
            int[] lengths = {prompt.length};
            long next = -1;
            for (int i = 0; i <= steps; i++) {
                long before = m.javaEnginePasses();
                ForwardInput in = i == 0 ? ForwardInput.leftPadded(call, List.of(prompt), 0, lengths)
                        : ForwardInput.step(call, new long[] {next}, lengths);
                NDArray logits = m.forward(in, cache, hooks, LogitsMode.LAST);
                assertEquals(onJava ? before + 1 : 0, m.javaEnginePasses(), m.modelId() + " step " + i
                        + ": passes on the Java engine");
                float[] f = m.compute(logits::toFloatArray);
                out.add(f);
                next = forced == null ? argmax(f) : forced[i];
            }
        }
        return out;
    }

    static int argmax(float[] f) {
        int best = 0;
        for (int k = 1; k < f.length; k++) {
            if (f[k] > f[best]) {
                best = k;
            }
        }
        return best;
    }
}
