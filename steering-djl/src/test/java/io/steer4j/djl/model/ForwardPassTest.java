package io.steer4j.djl.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.steer4j.djl.TinyModels;
import io.steer4j.djl.hooks.HookSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ForwardPassTest {
    private static LanguageModel model;

    @BeforeAll
    static void load() {
        model = TinyModels.loadGpt2();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static float[] lastLogits(List<long[]> rows, int row) {
        try (NDManager m = model.newCallManager()) {
            int[] lens = rows.stream().mapToInt(r -> r.length).toArray();
            NDArray out = model.forward(ForwardInput.leftPadded(m, rows, model.padTokenId(), lens), null,
                    HookSet.NONE, LogitsMode.LAST);
            float[] all = out.toFloatArray();
            int v = model.config().vocabSize();
            return java.util.Arrays.copyOfRange(all, row * v, (row + 1) * v);
        }
    }

    private static double maxAbsDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    @Test
    void cachedDecodingGivesTheSameLogitsAsAFullPass() {
        long[] seq = {5, 17, 42, 99, 3, 250, 7, 8};
        float[] full = lastLogits(List.of(seq), 0);
        try (NDManager m = model.newCallManager()) {
            KvCache cache = model.newCache(m, 1);
            int[] lens = {5};
            model.forward(ForwardInput.leftPadded(m, List.of(java.util.Arrays.copyOf(seq, 5)), 0, lens), cache,
                    HookSet.NONE, LogitsMode.LAST);
            NDArray last = null;
            for (int i = 5; i < seq.length; i++) {
                last = model.forward(ForwardInput.step(m, new long[] {seq[i]}, lens), cache, HookSet.NONE,
                        LogitsMode.LAST);
            }
            assertTrue(maxAbsDiff(full, last.toFloatArray()) < 1e-4, "cached vs full");
        }
    }

    /** Decodes {@code seq} one token at a time from its first token; returns the last step's logits. */
    private static float[] decodeOneByOne(long[] seq, KvCache cache, NDManager m) {
        int[] lens = {1};
        NDArray last = model.forward(ForwardInput.leftPadded(m, List.of(new long[] {seq[0]}), 0, lens), cache,
                HookSet.NONE, LogitsMode.LAST);
        for (int i = 1; i < seq.length; i++) {
            last = model.forward(ForwardInput.step(m, new long[] {seq[i]}, lens), cache, HookSet.NONE,
                    LogitsMode.LAST);
        }
        return last.toFloatArray();
    }

    @Test
    void aCacheThatGrowsStepByStepGivesTheSameLogitsAsAPresizedOne() {
        long[] seq = new long[20];
        for (int i = 0; i < seq.length; i++) {
            seq[i] = (i * 37L + 11) % model.config().vocabSize();
        }
        try (NDManager m = model.newCallManager()) {
            KvCache growing = model.newCache(m, 1, 1); // regrows at 2, 3, 5, 9 and 17 slots
            float[] grown = decodeOneByOne(seq, growing, m);
            KvCache presized = model.newCache(m, 1, seq.length);
            float[] sized = decodeOneByOne(seq, presized, m);
            assertEquals(seq.length, growing.length());
            assertEquals(32, growing.capacity(0), "doubling from one slot");
            assertEquals(seq.length, presized.capacity(0), "a presized cache never regrows");
            assertTrue(maxAbsDiff(grown, sized) < 1e-6, "grown vs presized: " + maxAbsDiff(grown, sized));
            assertTrue(maxAbsDiff(grown, lastLogits(List.of(seq), 0)) < 1e-4, "grown vs a full pass");
        }
    }

    @Test
    void aCacheNeverGrowsBeyondTheContext() {
        int context = model.config().contextLength();
        long[] seq = new long[context];
        for (int i = 0; i < seq.length; i++) {
            seq[i] = (i * 13L + 5) % model.config().vocabSize();
        }
        try (NDManager m = model.newCallManager()) {
            KvCache cache = model.newCache(m, 1, 3); // 3, 6, 12, 24, 48, then capped at the context, not 96
            decodeOneByOne(seq, cache, m);
            assertEquals(64, context, "this test's doubling sequence assumes the tiny model's context");
            assertEquals(context, cache.capacity(0));
            assertThrows(IllegalArgumentException.class, () -> model.forward(
                    ForwardInput.step(m, new long[] {1}, new int[] {1}), cache, HookSet.NONE, LogitsMode.LAST));
        }
    }

    @Test
    void aPassWithoutLogitsStillFillsTheCacheOfEveryLayer() {
        long[] seq = {5, 17, 42, 99, 3, 250, 7, 8};
        float[] full = lastLogits(List.of(seq), 0);
        HookSet layer0 = HookSet.builder().add(io.steer4j.core.plan.HookPoint.RESID_POST, 0, (s, x) -> x).build();
        try (NDManager m = model.newCallManager()) {
            KvCache cache = model.newCache(m, 1);
            int[] lens = {7};
            // without a cache this pass would stop after layer 0, the last hooked one
            assertEquals(null, model.forward(ForwardInput.leftPadded(m, List.of(java.util.Arrays.copyOf(seq, 7)), 0,
                    lens), cache, layer0, LogitsMode.NONE));
            NDArray last = model.forward(ForwardInput.step(m, new long[] {seq[7]}, lens), cache, HookSet.NONE,
                    LogitsMode.LAST);
            assertTrue(maxAbsDiff(full, last.toFloatArray()) < 1e-4, "cached vs full");
        }
    }

    @Test
    void aLeftPaddedRowGivesTheSameLogitsAsTheRowAlone() {
        long[] shortRow = {11, 12, 13};
        long[] longRow = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        float[] alone = lastLogits(List.of(shortRow), 0);
        float[] batched = lastLogits(List.of(longRow, shortRow), 1);
        assertTrue(maxAbsDiff(alone, batched) < 1e-4, "padded vs alone: " + maxAbsDiff(alone, batched));
    }

    @Test
    void aHookAtALayerTheModelDoesNotHaveIsRefused() {
        HookSet hooks = HookSet.builder().add(io.steer4j.core.plan.HookPoint.RESID_POST, model.numLayers(),
                (s, x) -> x).build();
        try (NDManager m = model.newCallManager()) {
            ForwardInput in = ForwardInput.leftPadded(m, List.of(new long[] {1, 2}), 0, new int[] {2});
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> model.forward(in, null, hooks, LogitsMode.LAST));
            assertTrue(e.getMessage().contains("layer " + model.numLayers()), e.getMessage());
        }
    }
}
