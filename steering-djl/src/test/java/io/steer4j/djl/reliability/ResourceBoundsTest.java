package io.steer4j.djl.reliability;

import io.steer4j.core.plan.HookPoint;
import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.djl.TinyModels;
import io.steer4j.djl.generation.CancellationToken;
import io.steer4j.djl.generation.FinishReason;
import io.steer4j.djl.generation.GenerationConfig;
import io.steer4j.djl.generation.GenerationResult;
import io.steer4j.djl.generation.Generator;
import io.steer4j.djl.generation.TokenListener;
import io.steer4j.djl.hooks.HookSet;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.steering.SteeredModel;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Generation memory follows the context, closing from a hook cannot deadlock, batcher threads cannot leak. */
class ResourceBoundsTest {

    private static final GenerationConfig UNTIL_CONTEXT_END =
            GenerationConfig.builder().maxNewTokens(Integer.MAX_VALUE).stopAtEos(false).build();

    private static long allocatedByThisThread() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean())
                .getThreadAllocatedBytes(Thread.currentThread().getId());
    }

    private static Set<Thread> batcherThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("steer4j-batcher") && t.isAlive()).collect(Collectors.toSet());
    }

    @Test
    void maxNewTokensOfIntegerMaxValueMeansUntilTheContextIsFull() {
        try (LanguageModel model = TinyModels.loadGpt2()) {
            long[] prompt = model.tokenizer().encode("hello world");
            int room = model.config().contextLength() - prompt.length;

            GenerationResult r = new Generator(model).generate(List.of(prompt), UNTIL_CONTEXT_END, HookSet.NONE,
                    TokenListener.NONE, CancellationToken.NEVER).get(0);

            assertEquals(FinishReason.CONTEXT_FULL, r.finishReason());
            assertEquals(room, r.tokens().length);
        }
    }

    @Test
    void hugeMaxNewTokensAllocatesByTheContextNotByTheRequest() {
        try (LanguageModel model = TinyModels.loadGpt2()) {
            long[] prompt = model.tokenizer().encode("hello world");
            GenerationConfig huge = GenerationConfig.builder().maxNewTokens(300_000_000).stopAtEos(false).build();
            Generator generator = new Generator(model);

            long before = allocatedByThisThread();
            generator.generate(List.of(prompt), huge, HookSet.NONE, TokenListener.NONE, CancellationToken.NEVER);
            long allocated = allocatedByThisThread() - before;

            System.out.printf("maxNewTokens 300,000,000 on a %d-token context: %d bytes allocated%n",
                    model.config().contextLength(), allocated);
            assertTrue(allocated < 64L << 20, allocated + " bytes allocated (2.4 GB before the fix)");
        }
    }

    @Test
    void continuousBatchingAlsoSizesByTheContext() {
        try (LanguageModel model = TinyModels.loadGpt2();
             SteeredModel steered = SteeredModel.builder(model).continuousBatching(2).build()) {
            long[] prompt = model.tokenizer().encode("hello world");

            GenerationResult r = steered.generateIds(prompt, UNTIL_CONTEXT_END, SteeringPlan.NONE, TokenListener.NONE,
                    CancellationToken.NEVER);

            assertEquals(FinishReason.CONTEXT_FULL, r.finishReason());
        }
    }

    @Test
    void closingTheModelFromItsOwnHookIsRefusedAndDeadlocksNothing() {
        try (LanguageModel model = TinyModels.loadGpt2(); LanguageModel other = TinyModels.loadGpt2()) {
            AtomicReference<Throwable> fromClose = new AtomicReference<>();
            HookSet closing = HookSet.builder().add(HookPoint.RESID_POST, 0, (site, x) -> {
                try {
                    model.close();
                } catch (Throwable t) {
                    fromClose.set(t);
                }
                return x;
            }).build();
            long[] prompt = model.tokenizer().encode("hello");
            Generator generator = new Generator(model);

            assertTimeoutPreemptively(Duration.ofSeconds(60), () -> generator.generate(List.of(prompt),
                    GenerationConfig.greedy(2), closing, TokenListener.NONE, CancellationToken.NEVER));

            IllegalStateException e = assertInstanceOf(IllegalStateException.class, fromClose.get());
            assertTrue(e.getMessage().contains("close it after the call returns"), e.getMessage());
            assertFalse(model.isClosed());
            assertTrue(new Generator(other).generate("hello", GenerationConfig.greedy(2)).tokens().length > 0);
        }
    }

    @Test
    void batcherThreadEndsWhenItsModelIsClosedEvenIfTheSteeredModelIsNot() throws InterruptedException {
        Set<Thread> before = batcherThreads();
        LanguageModel model = TinyModels.loadGpt2();
        SteeredModel steered = SteeredModel.builder(model).continuousBatching(2).build();
        Thread thread = batcherThreads().stream().filter(t -> !before.contains(t)).findFirst().orElse(null);
        assertNotNull(thread);

        model.close();
        thread.join(10_000);

        assertFalse(thread.isAlive(), "batcher thread still running after its model closed");
        assertNotNull(steered);
    }

    @Test
    void batcherThreadOfAnUnreachableSteeredModelEnds() throws InterruptedException {
        try (LanguageModel model = TinyModels.loadGpt2()) {
            Set<Thread> before = batcherThreads();
            SteeredModel steered = SteeredModel.builder(model).continuousBatching(2).build();
            steered.generate("hello", GenerationConfig.greedy(2), SteeringPlan.NONE);
            Thread thread = batcherThreads().stream().filter(t -> !before.contains(t)).findFirst().orElse(null);
            assertNotNull(thread);

            steered = null; // dropped without close()
            for (int i = 0; i < 100 && thread.isAlive(); i++) {
                System.gc();
                thread.join(100);
            }

            assertFalse(thread.isAlive(), "batcher thread outlived its unreachable SteeredModel");
        }
    }
}
