package io.steer4j.djl.reliability;

import ai.djl.ndarray.NDManager;
import io.steer4j.core.plan.HookPoint;
import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.djl.TinyModels;
import io.steer4j.djl.generation.CancellationToken;
import io.steer4j.djl.generation.GenerationCancelledException;
import io.steer4j.djl.generation.GenerationConfig;
import io.steer4j.djl.generation.Generator;
import io.steer4j.djl.generation.TokenListener;
import io.steer4j.djl.hooks.HookSet;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.steering.SteeredModel;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Calls fail cleanly, release what they allocated, and leave the model usable. */
class CallSafetyTest {
    private static final GenerationConfig LONG = GenerationConfig.builder().maxNewTokens(40).stopAtEos(false).build();

    @Test
    void aFailingHookReleasesTheCallsNativeMemoryAndTheModelStaysUsable() {
        try (LanguageModel model = TinyModels.loadGpt2()) {
            AtomicReference<NDManager> seen = new AtomicReference<>();
            HookSet failing = HookSet.builder().add(HookPoint.RESID_POST, 1, (site, x) -> {
                seen.set(site.manager());
                throw new IllegalStateException("hook failed on purpose");
            }).build();
            long[] prompt = model.tokenizer().encode("hello world");
            Generator g = new Generator(model);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> g.generate(List.of(prompt),
                    LONG, failing, TokenListener.NONE, CancellationToken.NEVER));
            assertTrue(e.getMessage().contains("on purpose"));
            assertFalse(seen.get().isOpen(), "the failed call's arrays must be freed");
            assertTrue(g.generate("hello world", GenerationConfig.greedy(4)).tokens().length > 0);
        }
    }

    @Test
    void aCancelledGenerationStopsAndTheModelStaysUsable() throws Exception {
        try (LanguageModel model = TinyModels.loadGpt2()) {
            CancellationToken cancel = new CancellationToken();
            List<Long> got = new ArrayList<>();
            TokenListener stopAfterThree = (row, id, delta) -> {
                got.add(id);
                if (got.size() == 3) {
                    cancel.cancel();
                }
            };
            SteeredModel sm = SteeredModel.builder(model).build();
            assertThrows(GenerationCancelledException.class,
                    () -> sm.generate("once upon a time", LONG, SteeringPlan.NONE, stopAfterThree, cancel));
            assertTrue(got.size() == 3, "generation must stop at the next token boundary, saw " + got.size());
            assertTrue(sm.generate("once upon a time", GenerationConfig.greedy(4), SteeringPlan.NONE).tokens().length > 0);
        }
    }

    @Test
    void interruptingTheGeneratingThreadCancelsIt() throws Exception {
        try (LanguageModel model = TinyModels.loadGpt2()) {
            SteeredModel sm = SteeredModel.builder(model).build();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread t = new Thread(() -> {
                try {
                    sm.generate("once upon a time", LONG, SteeringPlan.NONE, (r, id, d) -> Thread.currentThread().interrupt(),
                            CancellationToken.NEVER);
                } catch (Throwable th) {
                    failure.set(th);
                }
            });
            t.start();
            t.join(60_000);
            assertTrue(failure.get() instanceof GenerationCancelledException, String.valueOf(failure.get()));
        }
    }

    @Test
    void callsOnAClosedModelFailWithAClearMessage() {
        LanguageModel model = TinyModels.loadGpt2();
        model.close();
        Generator g = new Generator(model);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> g.generate("hello", GenerationConfig.greedy(3)));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        model.close(); // closing twice is harmless
    }

    @Test
    void closingTheModelWhileCallsRunFailsThoseCallsCleanly() throws Exception {
        LanguageModel model = TinyModels.loadGpt2();
        SteeredModel sm = SteeredModel.builder(model).build();
        GenerationConfig endless = GenerationConfig.builder().maxNewTokens(60).stopAtEos(false).build();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        CountDownLatch started = new CountDownLatch(4);
        List<Future<Throwable>> results = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            results.add(pool.submit(() -> {
                try {
                    for (int k = 0; k < 1000; k++) {
                        sm.generate("tick tock", endless, SteeringPlan.NONE, (r, id, d) -> started.countDown(),
                                CancellationToken.NEVER);
                    }
                    return null;
                } catch (Throwable th) {
                    return th;
                }
            }));
        }
        assertTrue(started.await(60, TimeUnit.SECONDS));
        model.close();
        for (Future<Throwable> f : results) {
            Throwable th = f.get(60, TimeUnit.SECONDS);
            assertTrue(th instanceof IllegalStateException && th.getMessage().contains("closed"),
                    "a call running across close must fail with 'closed', got " + th);
        }
        pool.shutdownNow();
    }

    @Test
    void eightThreadsTimesFiftyGenerationsEqualTheSameRequestsRunAlone() throws Exception {
        try (LanguageModel model = TinyModels.loadGpt2()) {
            SteeredModel sm = SteeredModel.builder(model).build();
            GenerationConfig cfg = GenerationConfig.builder().maxNewTokens(6).stopAtEos(false).build();
            int threads = 8;
            List<SteeringPlan> plans = new ArrayList<>();
            List<long[]> expected = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                float[] v = new float[model.hiddenSize()];
                v[i % v.length] = 1f;
                SteeringPlan p = i == 0 ? SteeringPlan.NONE : SteeringPlan.builder()
                        .add(io.steer4j.core.plan.Intervention.add(i % model.numLayers(), v, 5.0 * i)).build();
                plans.add(p);
                expected.add(sm.generate("the river runs", cfg, p).tokens());
            }
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            List<Future<Integer>> mismatches = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                final int t = i;
                mismatches.add(pool.submit(() -> {
                    int bad = 0;
                    for (int k = 0; k < 50; k++) {
                        if (!java.util.Arrays.equals(expected.get(t), sm.generate("the river runs", cfg, plans.get(t)).tokens())) {
                            bad++;
                        }
                    }
                    return bad;
                }));
            }
            // a deadlock guard, not a speed limit: 400 generations took over 120 s on the shared 2-core CI machine
            // at load average 15
            for (int i = 0; i < threads; i++) {
                assertTrue(mismatches.get(i).get(600, TimeUnit.SECONDS) == 0, "thread " + i + " mismatched");
            }
            pool.shutdownNow();
        }
    }

    @Test
    void aPromptLongerThanTheContextIsRefusedNotTruncated() {
        try (LanguageModel model = TinyModels.loadGpt2()) {
            long[] tooLong = new long[model.config().contextLength() + 1];
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Generator(model)
                    .generate(List.of(tooLong), GenerationConfig.greedy(2), HookSet.NONE, TokenListener.NONE,
                            CancellationToken.NEVER));
            assertTrue(e.getMessage().contains("context"), e.getMessage());
        }
    }

    @Test
    void generationStopsAtTheContextEnd() {
        try (LanguageModel model = TinyModels.loadGpt2()) {
            int ctx = model.config().contextLength();
            long[] nearlyFull = new long[ctx - 3];
            var r = new Generator(model).generate(List.of(nearlyFull),
                    GenerationConfig.builder().maxNewTokens(50).stopAtEos(false).build(), HookSet.NONE,
                    TokenListener.NONE, CancellationToken.NEVER).get(0);
            assertTrue(r.tokens().length == 3, "generated " + r.tokens().length);
            assertTrue(r.finishReason() == io.steer4j.djl.generation.FinishReason.CONTEXT_FULL);
        }
    }

    @Test
    void aBatchRowThatFillsTheContextStopsWhileTheOtherRowsGoOn() {
        try (LanguageModel model = TinyModels.loadGpt2()) {
            int ctx = model.config().contextLength();
            long[] nearlyFull = new long[ctx - 3];
            java.util.Arrays.fill(nearlyFull, 7);
            long[] shortPrompt = {11, 12, 13};
            for (boolean kv : new boolean[] {true, false}) {
                GenerationConfig cfg = GenerationConfig.builder().maxNewTokens(12).stopAtEos(false).useKvCache(kv)
                        .build();
                Generator g = new Generator(model);
                var both = g.generate(List.of(nearlyFull, shortPrompt), cfg, HookSet.NONE, TokenListener.NONE,
                        CancellationToken.NEVER);
                var alone = g.generate(List.of(shortPrompt), cfg, HookSet.NONE, TokenListener.NONE,
                        CancellationToken.NEVER).get(0);
                assertTrue(both.get(0).finishReason() == io.steer4j.djl.generation.FinishReason.CONTEXT_FULL);
                assertTrue(both.get(0).tokens().length == 3, "kv " + kv + ": " + both.get(0).tokens().length);
                assertArrayEquals(alone.tokens(), both.get(1).tokens(), "kv " + kv + ": the short row goes on as alone");
            }
        }
    }

    @Test
    void anUnknownTokenIdIsRefused() {
        try (LanguageModel model = TinyModels.loadGpt2()) {
            long[] bad = {1, 2, model.config().vocabSize()};
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Generator(model)
                    .generate(List.of(bad), GenerationConfig.greedy(2), HookSet.NONE, TokenListener.NONE,
                            CancellationToken.NEVER));
            assertTrue(e.getMessage().contains(String.valueOf(model.config().vocabSize())), e.getMessage());
        }
    }

    @Test
    void sampledGenerationIsReproducibleWithTheSameSeed() {
        try (LanguageModel model = TinyModels.loadGpt2()) {
            GenerationConfig s = GenerationConfig.builder().maxNewTokens(10).temperature(0.9).topK(50).topP(0.9)
                    .seed(42).stopAtEos(false).build();
            Generator g = new Generator(model);
            assertArrayEquals(g.generate("a b c", s).tokens(), g.generate("a b c", s).tokens());
        }
    }
}
