package io.steer4j.bench;

import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.djl.generation.CancellationToken;
import io.steer4j.djl.generation.GenerationConfig;
import io.steer4j.djl.generation.TokenListener;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.steering.SteeredModel;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static io.steer4j.bench.Medians.median;
import static io.steer4j.bench.Medians.rounds;

/**
 * {@code steer4j bench --sections threads}: several request threads sharing one model, each generating at batch 1
 * with its own plan, one step at a time and with continuous batching: aggregate tokens/s, to show what serving
 * without batching costs or gains.
 */
final class ThreadsSection {
    private final BenchWorkload w;
    private final int[] threadCounts;

    ThreadsSection(BenchWorkload w, int[] threadCounts) {
        this.w = w;
        this.threadCounts = threadCounts.clone();
    }

    void run(LanguageModel lm, Map<String, Object> report) throws Exception {
        int most = Arrays.stream(threadCounts).max().orElse(1);
        Map<String, SteeredModel> modes = new LinkedHashMap<>();
        modes.put("one step at a time", SteeredModel.builder(lm).build());
        modes.put("continuous batching", SteeredModel.builder(lm).continuousBatching(most).build());
        System.out.printf("%nconcurrent requests on one model, one prompt each (a different vector per request), "
                + "%d new tokens, median of %d, tokens/s aggregate:%n", w.newTokens, w.runs);
        System.out.printf("  %-10s %20s %20s %8s%n", "threads", "one step at a time", "continuous batching", "ratio");
        Map<String, Object> out = new LinkedHashMap<>();
        GenerationConfig cfg = GenerationConfig.builder().maxNewTokens(w.newTokens).stopAtEos(false).build();
        try {
            for (SteeredModel sm : modes.values()) { // warm-up
                sm.generateIds(w.prompt(lm, 0), cfg, SteeringPlan.NONE, TokenListener.NONE, CancellationToken.NEVER);
            }
            for (int n : threadCounts) {
                Map<String, double[]> samples = w.interleaved(modes,
                        (k, sm) -> concurrentTokensPerSecond(lm, sm, n, cfg));
                double serial = median(samples.get("one step at a time"));
                double batched = median(samples.get("continuous batching"));
                System.out.printf("  %-10d %20.2f %20.2f %8.2f   runs %s / %s%n", n, serial, batched, batched / serial,
                        rounds(samples.get("one step at a time")), rounds(samples.get("continuous batching")));
                out.put(n + "_threads", Map.of("one_step_at_a_time", serial, "continuous_batching", batched));
            }
        } finally {
            modes.values().forEach(SteeredModel::close);
        }
        report.put("concurrent_tokens_per_s", out);
    }

    /** {@code n} threads each generating once, together; aggregate tokens/s. */
    private double concurrentTokensPerSecond(LanguageModel lm, SteeredModel sm, int n, GenerationConfig cfg)
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<Integer>> fs = new ArrayList<>();
            long start = System.nanoTime();
            for (int k = 0; k < n; k++) {
                final int row = k;
                fs.add(pool.submit(() -> sm.generateIds(w.prompt(lm, row), cfg, BenchWorkload.oneLayer(lm, 200 + row),
                        TokenListener.NONE, CancellationToken.NEVER).tokens().length));
            }
            int produced = 0;
            for (Future<Integer> f : fs) {
                produced += f.get();
            }
            return produced / ((System.nanoTime() - start) / 1e9);
        } finally {
            pool.shutdownNow();
        }
    }
}
