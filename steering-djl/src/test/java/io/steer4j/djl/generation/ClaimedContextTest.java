package io.steer4j.djl.generation;

import io.steer4j.djl.RealModels;
import io.steer4j.djl.hooks.HookSet;
import io.steer4j.djl.model.LanguageModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 27 row 6: {@code max_position_embeddings: 2147483647} and a request for two billion tokens allocate by the
 * tokens that exist, not by the claim (this was "Java heap space" after 1 s).
 */
class ClaimedContextTest {
    /**
     * Heap bytes allocated so far by all live threads (the forward pass runs on the model's engine thread), but the
     * Java CPU engine's one-off JIT warm-up: it runs once per process on a thread of its own, racing this test, and
     * its interpreted Vector API calls allocate hundreds of MB of short-lived garbage that no buffer size causes.
     */
    private static long allThreadsAllocated() {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean)
                java.lang.management.ManagementFactory.getThreadMXBean();
        long[] ids = mx.getAllThreadIds();
        java.lang.management.ThreadInfo[] infos = mx.getThreadInfo(ids);
        long[] bytes = mx.getThreadAllocatedBytes(ids);
        long sum = 0;
        for (int i = 0; i < ids.length; i++) {
            if (infos[i] != null && !infos[i].getThreadName().equals("steer4j-cpu-warm-up")) {
                sum += Math.max(0, bytes[i]);
            }
        }
        return sum;
    }

    @TempDir
    Path tmp;

    @Test
    void aHugeClaimedContextAndTokenRequestCostOnlyTheTokensGenerated() throws IOException {
        Path d = Files.createDirectories(tmp.resolve("model"));
        try (Stream<Path> files = Files.list(RealModels.require("stories260k"))) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, d.resolve(f.getFileName()));
            }
        }
        Path config = d.resolve("config.json");
        Files.writeString(config, Files.readString(config)
                .replace("\"max_position_embeddings\": 512", "\"max_position_embeddings\": 2147483647"));
        try (LanguageModel lm = LanguageModel.load(d)) {
            assertTrue(lm.config().contextLength() == Integer.MAX_VALUE, "the edit did not take");
            Generator g = new Generator(lm);
            CancellationToken cancel = new CancellationToken();
            AtomicInteger seen = new AtomicInteger();
            TokenListener stopAfter40 = (row, id, delta) -> {
                if (seen.incrementAndGet() == 40) {
                    cancel.cancel();
                }
            };
            GenerationConfig twoBillion = GenerationConfig.builder().maxNewTokens(2_000_000_000).stopAtEos(false)
                    .build();

            long before = allThreadsAllocated();
            Throwable thrown = null;
            try {
                g.generate(List.of(lm.tokenizer().encode("Once upon a time")), twoBillion, HookSet.NONE,
                        stopAfter40, cancel);
            } catch (Throwable t) {
                thrown = t;
            }
            long allocated = allThreadsAllocated() - before;

            assertInstanceOf(GenerationCancelledException.class, thrown);
            assertTrue(allocated < (256L << 20), allocated + " bytes allocated");
        }
    }
}
