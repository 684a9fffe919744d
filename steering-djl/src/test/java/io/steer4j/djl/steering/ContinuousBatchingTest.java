package io.steer4j.djl.steering;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.steer4j.core.plan.HookPoint;
import io.steer4j.core.plan.Intervention;
import io.steer4j.core.plan.InterventionOperator;
import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.core.plan.TokenScope;
import io.steer4j.djl.TinyModels;
import io.steer4j.djl.generation.CancellationToken;
import io.steer4j.djl.generation.ContinuousBatcher;
import io.steer4j.djl.generation.FinishReason;
import io.steer4j.djl.generation.GenerationCancelledException;
import io.steer4j.djl.generation.GenerationConfig;
import io.steer4j.djl.generation.GenerationResult;
import io.steer4j.djl.generation.TokenListener;
import io.steer4j.djl.hooks.HookSet;
import io.steer4j.djl.model.ForwardInput;
import io.steer4j.djl.model.KvCache;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.model.LogitsMode;
import io.steer4j.fixtures.TinyFamily;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Continuous batching ({@link SteeredModel.Builder#continuousBatching}, {@code LanguageModel.decodeRows}): rows with
 * their own caches decoded in one step get the logits they get alone, and concurrent differently steered requests
 * get the tokens they get one at a time; cancellation, failing listeners and closing affect only what they should.
 */
class ContinuousBatchingTest {
    private static LanguageModel model;

    @BeforeAll
    static void load() {
        model = TinyModels.loadGpt2();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static SteeringPlan plan(long seed, double strength) {
        return SteeringPlan.builder().add(new Intervention(1, HookPoint.RESID_POST,
                SteeredModelTest.randomDirection(seed, model.hiddenSize(), 1.0), strength, TokenScope.all(),
                InterventionOperator.ADD, false)).build();
    }

    private static long[] prompt(int length, long seed) {
        long[] p = new long[length];
        for (int i = 0; i < length; i++) {
            p[i] = (seed * 31 + i * 17L) % model.config().vocabSize();
        }
        return p;
    }

    private static double maxAbsDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    @ParameterizedTest
    @EnumSource(value = TinyFamily.class, names = {"LLAMA", "NEOX"})
    void rowsDecodedTogetherGetTheLogitsTheyGetAloneInOtherFamilies(TinyFamily f) throws Exception {
        try (LanguageModel m = LanguageModel.load(f.writeCheckpoint(Files.createTempDirectory("rows").resolve(f.id())))) {
            assertRowsMatchAlone(m, 1e-5);
        }
    }

    @Test
    void rowsDecodedTogetherGetTheLogitsTheyGetAlone() {
        assertRowsMatchAlone(model, 1e-5);
    }

    @Test
    void rowsDecodedTogetherInFloat16GetTheLogitsTheyGetAlone() {
        try (LanguageModel half = LanguageModel.load(TinyModels.gpt2Dir(), ai.djl.Device.cpu(),
                io.steer4j.djl.model.Precision.FLOAT16)) {
            assertRowsMatchAlone(half, 1e-2); // float16 products of 1 and 2 rows may round differently
        }
    }

    /** Two rows of different lengths, three steps: decodeRows against each row's own cached forward pass. */
    private static void assertRowsMatchAlone(LanguageModel m, double tol) {
        long[][] prompts = {{5, 17, 42, 99, 3, 120, 7}, {11, 12, 13}};
        long[][] steps = {{20, 21}, {30, 31}, {40, 41}};
        int vocab = m.config().vocabSize();
        try (NDManager call = m.newCallManager()) {
            List<KvCache> together = new ArrayList<>();
            List<KvCache> alone = new ArrayList<>();
            for (long[] p : prompts) {
                for (List<KvCache> list : List.of(together, alone)) {
                    KvCache c = m.newCache(call, 1, 1);
                    m.forward(ForwardInput.leftPadded(call, List.of(p), 0, new int[] {p.length}), c, HookSet.NONE,
                            LogitsMode.LAST);
                    list.add(c);
                }
            }
            int[] lens = {prompts[0].length, prompts[1].length};
            for (long[] s : steps) {
                float[] batched = m.decodeRows(call, s, together, lens, HookSet.NONE).toFloatArray();
                for (int r = 0; r < 2; r++) {
                    float[] single = m.forward(ForwardInput.step(call, new long[] {s[r]}, new int[] {lens[r]}),
                            alone.get(r), HookSet.NONE, LogitsMode.LAST).toFloatArray();
                    float[] row = java.util.Arrays.copyOfRange(batched, r * vocab, (r + 1) * vocab);
                    assertTrue(maxAbsDiff(single, row) < tol, "row " + r + ": " + maxAbsDiff(single, row));
                }
            }
            assertEquals(prompts[0].length + steps.length, together.get(0).length());
        }
    }

    @Test
    void concurrentDifferentlySteeredRequestsGetTheTokensTheyGetOneAtATime() throws Exception {
        SteeredModel plain = SteeredModel.builder(model).build();
        int n = 6;
        List<long[]> prompts = new ArrayList<>();
        List<SteeringPlan> plans = new ArrayList<>();
        List<GenerationConfig> configs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            prompts.add(prompt(3 + 2 * i, i));
            plans.add(i % 3 == 0 ? SteeringPlan.NONE : plan(i, i % 3 == 1 ? 8.0 : -8.0));
            configs.add(GenerationConfig.builder().maxNewTokens(6 + 3 * i).stopAtEos(false).build());
        }
        List<GenerationResult> expected = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            expected.add(plain.generateIds(prompts.get(i), configs.get(i), plans.get(i), TokenListener.NONE,
                    CancellationToken.NEVER));
        }
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try (ContinuousBatcher<SteeringPlan> batched = new ContinuousBatcher<>(model, 4,
                (ps, consts) -> PlanHooks.build(ps, consts, model.hiddenSize()))) {
            for (int round = 0; round < 3; round++) {
                CountDownLatch start = new CountDownLatch(1);
                List<Future<GenerationResult>> futures = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    int k = i;
                    futures.add(pool.submit(() -> {
                        start.await();
                        return batched.generate(prompts.get(k), configs.get(k), plans.get(k), TokenListener.NONE,
                                CancellationToken.NEVER);
                    }));
                }
                start.countDown();
                for (int i = 0; i < n; i++) {
                    GenerationResult r = futures.get(i).get();
                    assertArrayEquals(expected.get(i).tokens(), r.tokens(), "request " + i + " round " + round);
                    assertEquals(FinishReason.LENGTH, r.finishReason());
                }
            }
            assertTrue(batched.peakRows() >= 2 && batched.peakRows() <= 4, "requests were decoded together, at "
                    + "most 4 at a time: peak " + batched.peakRows());
        } finally {
            pool.shutdownNow();
        }
        assertTrue(!java.util.Arrays.equals(expected.get(0).tokens(),
                plain.generateIds(prompts.get(0), configs.get(0), plan(99, 8.0), TokenListener.NONE,
                        CancellationToken.NEVER).tokens()), "the plans really steer");
    }

    @Test
    void tokenScopesAndRepetitionPenaltyBehaveAsInOneAtATimeGeneration() throws Exception {
        SteeredModel plain = SteeredModel.builder(model).build();
        TokenScope[] scopes = {TokenScope.promptOnly(), TokenScope.generatedOnly(), TokenScope.from(6), TokenScope.from(9)};
        GenerationConfig cfg = GenerationConfig.builder().maxNewTokens(10).stopAtEos(false).repetitionPenalty(1.3)
                .build();
        List<SteeringPlan> plans = new ArrayList<>();
        List<long[]> prompts = new ArrayList<>();
        List<GenerationResult> expected = new ArrayList<>();
        for (int i = 0; i < scopes.length; i++) {
            plans.add(SteeringPlan.builder().add(new Intervention(1, HookPoint.RESID_POST,
                    SteeredModelTest.randomDirection(40 + i, model.hiddenSize(), 1.0), 12.0, scopes[i],
                    InterventionOperator.ADD, false)).build());
            prompts.add(prompt(4 + i, 10 + i));
            expected.add(plain.generateIds(prompts.get(i), cfg, plans.get(i), TokenListener.NONE,
                    CancellationToken.NEVER));
        }
        ExecutorService pool = Executors.newFixedThreadPool(scopes.length);
        try (SteeredModel batched = SteeredModel.builder(model).continuousBatching(4).build()) {
            List<Future<GenerationResult>> futures = new ArrayList<>();
            for (int i = 0; i < scopes.length; i++) {
                int k = i;
                futures.add(pool.submit(() -> batched.generateIds(prompts.get(k), cfg, plans.get(k),
                        TokenListener.NONE, CancellationToken.NEVER)));
            }
            for (int i = 0; i < scopes.length; i++) {
                assertArrayEquals(expected.get(i).tokens(), futures.get(i).get().tokens(), "scope " + scopes[i]);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aRequestCancelledWhileWaitingForARowFailsWithoutWaiting() throws Exception {
        GenerationConfig longRun = GenerationConfig.builder().maxNewTokens(60).stopAtEos(false).build();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (SteeredModel batched = SteeredModel.builder(model).continuousBatching(1).build()) {
            CountDownLatch running = new CountDownLatch(1);
            CancellationToken stopBusy = new CancellationToken();
            AtomicInteger busyTokens = new AtomicInteger();
            Future<GenerationResult> busy = pool.submit(() -> batched.generateIds(prompt(5, 1), longRun,
                    SteeringPlan.NONE, (row, id, d) -> {
                        busyTokens.incrementAndGet();
                        running.countDown();
                        try {
                            Thread.sleep(5); // keeps the only row busy for far longer than one loop pass
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }, stopBusy));
            running.await();
            CancellationToken cancel = new CancellationToken();
            Future<GenerationResult> queued = pool.submit(() -> batched.generateIds(prompt(4, 2), longRun,
                    SteeringPlan.NONE, TokenListener.NONE, cancel));
            cancel.cancel();
            Exception e = assertThrows(Exception.class, queued::get);
            assertTrue(e.getCause() instanceof GenerationCancelledException, e.toString());
            assertTrue(!busy.isDone(), "the queued request failed while the only row was still busy");
            stopBusy.cancel();
            assertThrows(Exception.class, busy::get);
            assertTrue(busyTokens.get() < 50, "busy request ran " + busyTokens.get() + " tokens");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aListenerMayCloseTheBatcherButNotCallItAgain() throws Exception {
        SteeredModel batched = SteeredModel.builder(model).continuousBatching(2).build();
        List<Exception> fromListener = new ArrayList<>();
        GenerationConfig cfg = GenerationConfig.builder().maxNewTokens(3).stopAtEos(false).build();
        Exception closedMidway = assertTimeoutPreemptively(java.time.Duration.ofSeconds(20), () -> assertThrows(
                IllegalStateException.class, () -> batched.generateIds(prompt(3, 1), cfg, SteeringPlan.NONE,
                        (row, id, d) -> {
                            try {
                                batched.generateIds(prompt(3, 2), cfg, SteeringPlan.NONE, TokenListener.NONE,
                                        CancellationToken.NEVER);
                            } catch (IllegalStateException e) {
                                fromListener.add(e);
                            }
                            batched.close();
                        }, CancellationToken.NEVER)));
        assertTrue(closedMidway.getMessage().contains("closed"), closedMidway.getMessage());
        assertEquals(1, fromListener.size());
        assertTrue(fromListener.get(0).getMessage().contains("would wait for itself"), fromListener.toString());
    }

    @Test
    void aCancelledOrFailingRequestLeavesTheOthersRunning() throws Exception {
        GenerationConfig longRun = GenerationConfig.builder().maxNewTokens(40).stopAtEos(false).build();
        SteeredModel plain = SteeredModel.builder(model).build();
        GenerationResult alone = plain.generateIds(prompt(5, 1), longRun, SteeringPlan.NONE, TokenListener.NONE,
                CancellationToken.NEVER);
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try (SteeredModel batched = SteeredModel.builder(model).continuousBatching(4).build()) {
            CancellationToken cancel = new CancellationToken();
            Future<GenerationResult> cancelled = pool.submit(() -> batched.generateIds(prompt(4, 2), longRun,
                    SteeringPlan.NONE, (row, id, d) -> cancel.cancel(), cancel));
            Future<GenerationResult> failing = pool.submit(() -> batched.generateIds(prompt(6, 3), longRun,
                    SteeringPlan.NONE, (row, id, d) -> {
                        throw new IllegalStateException("listener broke");
                    }, CancellationToken.NEVER));
            Future<GenerationResult> ok = pool.submit(() -> batched.generateIds(prompt(5, 1), longRun,
                    SteeringPlan.NONE, TokenListener.NONE, CancellationToken.NEVER));
            Exception c = assertThrows(Exception.class, cancelled::get);
            assertTrue(c.getCause() instanceof GenerationCancelledException, c.toString());
            Exception f = assertThrows(Exception.class, failing::get);
            assertEquals("listener broke", f.getCause().getMessage());
            assertArrayEquals(alone.tokens(), ok.get().tokens());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aClosedBatcherRefusesNewRequests() {
        SteeredModel batched = SteeredModel.builder(model).continuousBatching(2).build();
        batched.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> batched.generateIds(prompt(3, 1),
                GenerationConfig.greedy(2), SteeringPlan.NONE, TokenListener.NONE, CancellationToken.NEVER));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    @Test
    void badPromptsAreRefusedBeforeTheyReachTheBatch() {
        try (SteeredModel batched = SteeredModel.builder(model).continuousBatching(2).build()) {
            assertThrows(IllegalArgumentException.class, () -> batched.generateIds(new long[0],
                    GenerationConfig.greedy(2), SteeringPlan.NONE, TokenListener.NONE, CancellationToken.NEVER));
            assertThrows(IllegalArgumentException.class, () -> batched.generateIds(
                    new long[model.config().contextLength() + 1], GenerationConfig.greedy(2), SteeringPlan.NONE,
                    TokenListener.NONE, CancellationToken.NEVER));
            assertThrows(IllegalArgumentException.class, () -> batched.generateIds(
                    new long[] {model.config().vocabSize()}, GenerationConfig.greedy(2), SteeringPlan.NONE,
                    TokenListener.NONE, CancellationToken.NEVER));
        }
    }
}
