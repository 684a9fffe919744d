package io.steer4j.djl.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.steer4j.core.format.safetensors.SafetensorsDtype;
import io.steer4j.djl.hooks.HookSet;
import io.steer4j.fixtures.TinyCheckpoints;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A 16-bit checkpoint whose one-row passes run on the Java CPU engine holds its weights once: the engine's 16-bit
 * copy, read from the file. libtorch's float32 copy (twice the file) is made by the first call that needs libtorch
 * (here a stateless pass and a batch), gives libtorch's answer then, and is freed with the model.
 */
class LazyLibtorchWeightsTest {
    @TempDir
    Path dir;

    private static final long[] PROMPT = {3, 1, 4, 1, 5, 9, 2};

    @ParameterizedTest
    @EnumSource(value = SafetensorsDtype.class, names = {"BF16", "F16"})
    void aSixteenBitModelOnTheJavaEngineMakesNoLibtorchArraysUntilALibtorchCall(SafetensorsDtype dtype)
            throws IOException {
        Path ckpt = TinyCheckpoints.gpt2(dir.resolve("gpt2-" + dtype), dtype);
        try (LanguageModel m = LanguageModel.load(ckpt, LoadOptions.builder().cpuEngine(CpuEngine.JAVA).build())) {
            assertFalse(m.libtorchWeightsMade(), "no libtorch weights at load");
            assertEquals(List.of(), m.modelArrays(), "the model's manager holds no array at load");
            cachedPass(m);
            assertEquals(1, m.javaEnginePasses(), "the cached one-row pass ran on the Java engine");
            assertFalse(m.libtorchWeightsMade(), "a Java-engine pass makes no libtorch weights");
            assertEquals(List.of(), m.modelArrays(), "the model's manager holds no array after a Java-engine pass");
        }
    }

    @ParameterizedTest
    @EnumSource(value = SafetensorsDtype.class, names = {"BF16", "F16"})
    void theFirstLibtorchCallMakesTheWeightsAndGivesTheEagerlyLoadedModelsLogits(SafetensorsDtype dtype)
            throws IOException {
        Path ckpt = TinyCheckpoints.gpt2(dir.resolve("gpt2-" + dtype), dtype);
        try (LanguageModel lazy = LanguageModel.load(ckpt, LoadOptions.builder().cpuEngine(CpuEngine.JAVA).build());
             LanguageModel eager = LanguageModel.load(ckpt,
                     LoadOptions.builder().cpuEngine(CpuEngine.LIBTORCH).build())) {
            assertTrue(eager.libtorchWeightsMade(), "libtorch's own engine loads its weights at once");
            float[] lazyScores = statelessPass(lazy);
            assertTrue(lazy.libtorchWeightsMade(), "a stateless pass needs libtorch's weights");
            assertFalse(lazy.modelArrays().isEmpty(), "made by the model's manager");
            assertEquals(0, lazy.javaEnginePasses(), "a stateless pass runs on libtorch");
            assertArrayEquals(statelessPass(eager), lazyScores, 0f, "libtorch on the same values gives the same logits");
            assertArrayEquals(batchPass(eager), batchPass(lazy), 0f, "and the same for a batch of two rows");
        }
    }

    @Test
    void closingTheModelFreesTheLazilyMadeArrays() throws IOException {
        Path ckpt = TinyCheckpoints.gpt2(dir.resolve("gpt2-bf16"), SafetensorsDtype.BF16);
        LanguageModel m = LanguageModel.load(ckpt, LoadOptions.builder().cpuEngine(CpuEngine.JAVA).build());
        List<NDArray> made;
        try {
            statelessPass(m);
            made = m.modelArrays();
            assertFalse(made.isEmpty(), "the stateless pass made libtorch's weights");
        } finally {
            m.close();
        }
        for (int i = 0; i < made.size(); i++) {
            assertTrue(made.get(i).isReleased(), "array " + i + " of " + made.size() + " is freed with the model");
        }
    }

    @Test
    void aFloat32CheckpointStillHasItsLibtorchViewsFromLoad() throws IOException {
        Path ckpt = TinyCheckpoints.gpt2(dir.resolve("gpt2-f32"));
        try (LanguageModel m = LanguageModel.load(ckpt, LoadOptions.builder().cpuEngine(CpuEngine.JAVA).build())) {
            assertEquals(CpuEngine.JAVA, m.cpuEngine());
            assertTrue(m.libtorchWeightsMade(), "float32 weights are views of the mapped file, made at load");
        }
    }

    private static void cachedPass(LanguageModel m) {
        try (NDManager call = m.newCallManager()) {
            KvCache cache = m.newCache(call, 1, PROMPT.length);
            m.forward(ForwardInput.leftPadded(call, List.of(PROMPT), 0, new int[] {PROMPT.length}), cache,
                    HookSet.NONE, LogitsMode.LAST);
        }
    }

    private static float[] statelessPass(LanguageModel m) {
        return m.compute(() -> {
            try (NDManager call = m.newCallManager()) {
                return m.forward(ForwardInput.leftPadded(call, List.of(PROMPT), 0, new int[] {PROMPT.length}), null,
                        HookSet.NONE, LogitsMode.LAST).toFloatArray();
            }
        });
    }

    private static float[] batchPass(LanguageModel m) {
        long[] other = {7, 7, 2};
        return m.compute(() -> {
            try (NDManager call = m.newCallManager()) {
                KvCache cache = m.newCache(call, 2, PROMPT.length);
                return m.forward(ForwardInput.leftPadded(call, List.of(PROMPT, other), 0,
                        new int[] {PROMPT.length, other.length}), cache, HookSet.NONE, LogitsMode.LAST).toFloatArray();
            }
        });
    }
}
