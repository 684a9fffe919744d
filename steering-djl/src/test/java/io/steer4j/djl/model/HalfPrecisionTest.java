package io.steer4j.djl.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.steer4j.core.format.safetensors.SafetensorsDtype;
import io.steer4j.core.plan.HookPoint;
import io.steer4j.djl.hooks.HookSet;
import io.steer4j.fixtures.TinyCheckpoints;
import io.steer4j.fixtures.TinyFamily;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Precision#FLOAT16} against the float32 model on the tiny checkpoints of every family: the same activations
 * at every hook point and the same logits up to float16 rounding, float32 activations shown to hooks, a finite
 * left-padded batch (the mask would overflow float16) and a KV cache that agrees with a full pass.
 */
class HalfPrecisionTest {
    /** Relative to the largest magnitude compared; float16 carries 11 significant bits (4.9e-4). */
    private static final double REL_TOL = 5e-3;
    private static final Map<String, LanguageModel[]> MODELS = new LinkedHashMap<>();
    private static final long[] IDS = {5, 17, 42, 99, 3, 250, 7, 8, 120, 64};

    @BeforeAll
    static void load() throws IOException {
        Path root = Files.createTempDirectory("steer4j-half");
        List<Path> dirs = new ArrayList<>();
        dirs.add(TinyCheckpoints.gpt2(root.resolve("gpt2-tiny")));
        dirs.add(TinyCheckpoints.gpt2(root.resolve("gpt2-tiny-f16"), SafetensorsDtype.F16));
        for (TinyFamily f : TinyFamily.values()) {
            dirs.add(f.writeCheckpoint(root.resolve(f.id())));
        }
        for (Path d : dirs) {
            MODELS.put(d.getFileName().toString(), new LanguageModel[] {
                    LanguageModel.load(d, Device.cpu(), Precision.FLOAT32),
                    LanguageModel.load(d, Device.cpu(), Precision.FLOAT16)});
        }
    }

    @AfterAll
    static void close() {
        MODELS.values().forEach(pair -> {
            pair[0].close();
            pair[1].close();
        });
    }

    private static double relDiff(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length);
        double max = 0;
        double scale = 0;
        for (int i = 0; i < expected.length; i++) {
            assertTrue(Float.isFinite(actual[i]), "non-finite value at " + i);
            max = Math.max(max, Math.abs(expected[i] - actual[i]));
            scale = Math.max(scale, Math.abs(expected[i]));
        }
        return max / scale;
    }

    private static float[] flat(float[][] a) {
        int d = a[0].length;
        float[] out = new float[a.length * d];
        for (int i = 0; i < a.length; i++) {
            System.arraycopy(a[i], 0, out, i * d, d);
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-tiny", "gpt2-tiny-f16", "llama-tiny", "llama3-tiny", "qwen2-tiny", "neox-tiny"})
    void everyHookPointAndTheLogitsMatchTheFloat32ModelUpToHalfRounding(String id) {
        LanguageModel[] pair = MODELS.get(id);
        assertEquals(Precision.FLOAT16, pair[1].precision());
        List<HookPoint> points = List.of(HookPoint.values());
        HookCapture.Captured f32 = HookCapture.run(pair[0], IDS, points);
        HookCapture.Captured f16 = HookCapture.run(pair[1], IDS, points);
        for (HookPoint p : points) {
            for (int l = 0; l < pair[0].numLayers(); l++) {
                double d = relDiff(f32.activations().get(p)[l], f16.activations().get(p)[l]);
                assertTrue(d < REL_TOL, id + " " + p + " layer " + l + ": relative max diff " + d);
            }
        }
        double d = relDiff(f32.logits(), f16.logits());
        assertTrue(d < REL_TOL, id + " logits: relative max diff " + d);
        assertTrue(d > 0, id + ": float16 logits equal float32 ones bit for bit, so nothing ran in float16");
    }

    @Test
    void hooksSeeFloat32ActivationsAndSteeringMovesTheHalfModelAsTheFloatModel() {
        LanguageModel[] pair = MODELS.get("gpt2-tiny");
        int hidden = pair[0].hiddenSize();
        float[] v = new float[hidden];
        for (int i = 0; i < hidden; i++) {
            v[i] = (i % 3 - 1) * 0.5f;
        }
        List<DataType> seen = new ArrayList<>();
        HookSet steer = HookSet.builder().add(HookPoint.RESID_POST, 1, (site, x) -> {
            seen.add(x.getDataType());
            return x.add(site.manager().create(v));
        }).build();
        float[] plain32 = lastLogits(pair[0], HookSet.NONE);
        float[] steered32 = lastLogits(pair[0], steer);
        float[] steered16 = lastLogits(pair[1], steer);
        assertEquals(List.of(DataType.FLOAT32, DataType.FLOAT32), seen);
        assertTrue(relDiff(steered32, steered16) < REL_TOL, "steered float16 vs steered float32");
        assertTrue(relDiff(plain32, steered32) > 10 * relDiff(steered32, steered16),
                "the steering effect is far larger than float16 rounding");
    }

    private static float[] lastLogits(LanguageModel model, HookSet hooks) {
        try (NDManager m = model.newCallManager()) {
            NDArray out = model.forward(ForwardInput.leftPadded(m, List.of(IDS), 0, new int[] {IDS.length}), null,
                    hooks, LogitsMode.LAST);
            assertEquals(DataType.FLOAT32, out.getDataType(), "logits are float32");
            return out.toFloatArray();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-tiny", "llama-tiny", "neox-tiny"})
    void aLeftPaddedHalfBatchRowMatchesTheRowAlone(String id) {
        LanguageModel half = MODELS.get(id)[1];
        long[] shortRow = {11, 12, 13};
        long[] longRow = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        int v = half.config().vocabSize();
        try (NDManager m = half.newCallManager()) {
            float[] alone = half.forward(ForwardInput.leftPadded(m, List.of(shortRow), 0, new int[] {3}), null,
                    HookSet.NONE, LogitsMode.LAST).toFloatArray();
            float[] both = half.forward(ForwardInput.leftPadded(m, List.of(longRow, shortRow), 0, new int[] {9, 3}),
                    null, HookSet.NONE, LogitsMode.LAST).toFloatArray();
            float[] row = java.util.Arrays.copyOfRange(both, v, 2 * v);
            assertTrue(relDiff(alone, row) < REL_TOL, id + ": padded vs alone " + relDiff(alone, row));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-tiny", "llama-tiny", "neox-tiny"})
    void halfCachedDecodingMatchesAHalfFullPass(String id) {
        LanguageModel half = MODELS.get(id)[1];
        try (NDManager m = half.newCallManager()) {
            float[] full = half.forward(ForwardInput.leftPadded(m, List.of(IDS), 0, new int[] {IDS.length}), null,
                    HookSet.NONE, LogitsMode.LAST).toFloatArray();
            KvCache cache = half.newCache(m, 1, 2);
            int[] lens = {4};
            half.forward(ForwardInput.leftPadded(m, List.of(java.util.Arrays.copyOf(IDS, 4)), 0, lens), cache,
                    HookSet.NONE, LogitsMode.LAST);
            NDArray last = null;
            for (int i = 4; i < IDS.length; i++) {
                last = half.forward(ForwardInput.step(m, new long[] {IDS[i]}, lens), cache, HookSet.NONE,
                        LogitsMode.LAST);
            }
            assertTrue(relDiff(full, last.toFloatArray()) < REL_TOL, id + ": cached vs full");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-tiny", "llama-tiny", "neox-tiny"})
    void aHalfBatchDecodedWithTheCacheMatchesTheFloatBatch(String id) {
        LanguageModel[] pair = MODELS.get(id);
        long[] shortRow = {11, 12, 13};
        long[] longRow = {1, 2, 3, 4, 5, 6, 7};
        long[][] steps = {{20, 21}, {30, 31}, {40, 41}};
        float[][] out = new float[2][];
        for (int k = 0; k < 2; k++) {
            LanguageModel model = pair[k];
            try (NDManager m = model.newCallManager()) {
                KvCache cache = model.newCache(m, 2, 1);
                int[] lens = {7, 3};
                model.forward(ForwardInput.leftPadded(m, List.of(longRow, shortRow), 0, lens), cache, HookSet.NONE,
                        LogitsMode.LAST);
                NDArray last = null;
                for (long[] s : steps) {
                    last = model.forward(ForwardInput.step(m, s, lens), cache, HookSet.NONE, LogitsMode.LAST);
                }
                out[k] = last.toFloatArray();
            }
        }
        assertTrue(relDiff(out[0], out[1]) < REL_TOL, id + ": half vs float batch " + relDiff(out[0], out[1]));
    }

    @Test
    void precisionNamesParseAndBfloat16IsRefusedWithTheReason() {
        assertEquals(Precision.FLOAT16, Precision.parse("fp16"));
        assertEquals(Precision.FLOAT32, Precision.parse("Float32"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Precision.parse("bf16"));
        assertTrue(e.getMessage().contains("bfloat16"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Precision.parse("int8"));
    }
}
