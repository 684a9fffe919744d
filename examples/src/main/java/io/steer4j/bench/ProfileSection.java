package io.steer4j.bench;

import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.djl.model.CpuEngine;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.model.LoadOptions;
import io.steer4j.djl.steering.SteeredModel;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * {@code steer4j bench --profile FILE}: one batch-1 generation on the libtorch path recorded with libtorch's
 * profiler ({@link OpProfile}); writes the Chrome trace and prints time per decoded token by operator, weight
 * products apart from everything else.
 */
final class ProfileSection {
    private final BenchWorkload w;
    private final Path trace;

    ProfileSection(BenchWorkload w, Path trace) {
        this.w = w;
        this.trace = trace;
    }

    void run(LanguageModel lm, Map<String, Object> report) throws IOException {
        List<long[]> p = List.of(w.prompt(lm, 0));
        // libtorch's profiler sees libtorch operators only: profile a twin of the model on libtorch
        try (LanguageModel torchLm = LanguageModel.load(lm.folder(), LoadOptions.builder()
                .device(lm.device()).precision(lm.precision())
                .cpuEngine(CpuEngine.LIBTORCH).build())) {
            SteeredModel torchSm = SteeredModel.builder(torchLm).build();
            w.tokensPerSecond(torchSm, p, List.of(SteeringPlan.NONE)); // warm-up
            OpProfile.record(torchLm, trace, () -> w.tokensPerSecond(torchSm, p, List.of(SteeringPlan.NONE)));
        }
        List<OpProfile.Row> rows = OpProfile.summarize(trace);
        double perToken = w.newTokens * 1000.0;
        double total = rows.stream().mapToDouble(OpProfile.Row::totalUs).sum();
        double weights = rows.stream().filter(r -> OpProfile.isWeightProduct(r.name()))
                .mapToDouble(OpProfile.Row::totalUs).sum();
        int calls = rows.stream().mapToInt(OpProfile.Row::calls).sum();
        System.out.printf("%nprofile of one batch-1 generation on the libtorch path (%d-token prompt + %d tokens), "
                + "trace in %s:%n",
                w.promptTokens, w.newTokens, trace);
        System.out.printf("  operators %.1f ms per token (%.0f calls): products with weights %.2f ms, everything else "
                + "%.2f ms%n", total / perToken, calls / (double) w.newTokens, weights / perToken,
                (total - weights) / perToken);
        System.out.printf("  %-36s %12s %12s %12s%n", "operator", "ms/token", "calls/token", "median us");
        for (OpProfile.Row r : rows.subList(0, Math.min(20, rows.size()))) {
            System.out.printf("  %-36s %12.3f %12.1f %12.1f%n", r.name(), r.totalUs() / perToken,
                    r.calls() / (double) w.newTokens, r.medianUs());
        }
        report.put("profile", Map.of("ms_per_token", total / perToken, "weight_products_ms_per_token",
                weights / perToken, "other_ms_per_token", (total - weights) / perToken, "trace", trace.toString()));
    }
}
