package io.steer4j.bench;

import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.djl.generation.CancellationToken;
import io.steer4j.djl.generation.GenerationConfig;
import io.steer4j.djl.generation.TokenListener;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.steering.SteeredModel;

import java.util.List;
import java.util.Map;

/**
 * {@code steer4j bench --soak N}: N short generations alternating unsteered and steered plans, with the resident
 * memory printed along the way and its growth from the first tenth to the end (a leak shows as steady growth).
 */
final class SoakSection {
    private final BenchWorkload w;
    private final int generations;

    SoakSection(BenchWorkload w, int generations) {
        this.w = w;
        this.generations = generations;
    }

    void run(LanguageModel lm, Map<String, Object> report) {
        SteeredModel sm = SteeredModel.builder(lm).build();
        GenerationConfig cfg = GenerationConfig.builder().maxNewTokens(8).stopAtEos(false).build();
        long[] p = w.prompt(lm, 0);
        List<long[]> prompts = List.of(p);
        System.out.printf("%nsoak: %d generations of 8 tokens, alternating plans%n", generations);
        long rss0 = 0;
        for (int i = 0; i < generations; i++) {
            SteeringPlan plan = i % 2 == 0 ? SteeringPlan.NONE : BenchWorkload.oneLayer(lm, i);
            sm.generateBatchIds(prompts, cfg, List.of(plan), TokenListener.NONE, CancellationToken.NEVER);
            if (i == generations / 10) {
                System.gc();
                rss0 = Memory.rssBytes();
            }
            if ((i + 1) % Math.max(1, generations / 5) == 0) {
                System.gc();
                System.out.println(String.format("  after %5d: RSS %.1f MiB, heap %.1f MiB", i + 1,
                        Memory.rssBytes() / 1048576.0, Memory.heapUsedBytes() / 1048576.0));
            }
        }
        System.gc();
        long rss1 = Memory.rssBytes();
        System.out.printf("  RSS growth from generation %d to %d: %.1f MiB%n", generations / 10, generations,
                (rss1 - rss0) / 1048576.0);
        report.put("soak", Map.of("generations", generations, "rss_growth_mib", (rss1 - rss0) / 1048576.0));
    }
}
