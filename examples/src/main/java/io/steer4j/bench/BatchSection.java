package io.steer4j.bench;

import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.steering.SteeredModel;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.steer4j.bench.Medians.median;
import static io.steer4j.bench.Medians.rounds;

/**
 * {@code steer4j bench --sections batch}: aggregate tokens/s of batched generation at each of {@code --batches},
 * every row with its own prompt and its own steering vector.
 */
final class BatchSection {
    private final BenchWorkload w;
    private final int[] batches;

    BatchSection(BenchWorkload w, int[] batches) {
        this.w = w;
        this.batches = batches.clone();
    }

    void run(LanguageModel lm, Map<String, Object> report) {
        SteeredModel sm = SteeredModel.builder(lm).build();
        System.out.printf("%nbatched generation, a different vector per row, %d new tokens, median of %d:%n",
                w.newTokens, w.runs);
        Map<String, Object> out = new LinkedHashMap<>();
        Map<Integer, double[]> samples = new LinkedHashMap<>();
        for (int b : batches) {
            samples.put(b, new double[w.runs]);
        }
        for (int r = 0; r < w.runs; r++) {
            for (int b : batches) {
                List<long[]> ps = new ArrayList<>();
                List<SteeringPlan> plans = new ArrayList<>();
                for (int i = 0; i < b; i++) {
                    ps.add(w.prompt(lm, i));
                    plans.add(BenchWorkload.oneLayer(lm, 100 + i));
                }
                samples.get(b)[r] = w.tokensPerSecond(sm, ps, plans);
            }
        }
        for (int b : batches) {
            double m = median(samples.get(b));
            System.out.printf("  batch %3d: %10.2f tokens/s aggregate   runs %s%n", b, m, rounds(samples.get(b)));
            out.put("batch_" + b, m);
        }
        report.put("batched_tokens_per_s", out);
    }
}
