package io.steer4j.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.model.Precision;
import io.steer4j.djl.steering.SteeredModel;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.steer4j.bench.Medians.median;
import static io.steer4j.bench.Medians.rounds;

/**
 * {@code steer4j bench --sections precision}: whether half precision helps on the model's device: decode-shaped
 * matrix products ([1, hidden] x [hidden, 4 hidden]) in float32 and float16, then batch-1 greedy generation with
 * the checkpoint loaded in each {@link Precision}, interleaved run by run. BF16 is not timed: creating BF16 arrays
 * crashes DJL 0.36's engine (see {@link Precision}).
 */
final class PrecisionSection {
    private final BenchWorkload w;

    PrecisionSection(BenchWorkload w) {
        this.w = w;
    }

    void run(LanguageModel lm, Map<String, Object> report) throws Exception {
        lm.compute(() -> {
            matmul(lm, report);
            return null;
        });
        Map<String, double[]> samples = new LinkedHashMap<>();
        try (LanguageModel f32 = LanguageModel.load(lm.folder(), lm.device(), Precision.FLOAT32);
             LanguageModel f16 = LanguageModel.load(lm.folder(), lm.device(), Precision.FLOAT16)) {
            Map<String, SteeredModel> models = new LinkedHashMap<>();
            models.put("float32", SteeredModel.builder(f32).build());
            models.put("float16", SteeredModel.builder(f16).build());
            List<long[]> p = List.of(w.prompt(lm, 0));
            models.values().forEach(sm -> w.tokensPerSecond(sm, p, List.of(SteeringPlan.NONE))); // warm-up
            samples.putAll(w.interleaved(models, (k, sm) -> w.tokensPerSecond(sm, p, List.of(SteeringPlan.NONE))));
        }
        double base = median(samples.get("float32"));
        System.out.printf("  generation, batch 1, %d new tokens, greedy, median of %d:%n", w.newTokens, w.runs);
        Map<String, Object> gen = new LinkedHashMap<>();
        for (Map.Entry<String, double[]> e : samples.entrySet()) {
            double m = median(e.getValue());
            System.out.printf("  %-8s %9.2f tokens/s  ratio %.3f   runs %s%n", e.getKey(), m, m / base,
                    rounds(e.getValue()));
            gen.put(e.getKey(), Map.of("tokens_per_s", m, "ratio_vs_float32", m / base));
        }
        report.put("precision_generation", gen);
    }

    private static void matmul(LanguageModel lm, Map<String, Object> report) {
        int d = lm.hiddenSize();
        Map<String, Object> out = new LinkedHashMap<>();
        System.out.printf("%nprecision on %s: [1,%d] x [%d,%d] matrix product, median of 50 after warm-up:%n",
                lm.device(), d, d, 4 * d);
        try (NDManager m = NDManager.newBaseManager(lm.device())) {
            for (DataType t : List.of(DataType.FLOAT32, DataType.FLOAT16)) {
                NDArray w = m.randomNormal(new Shape(d, 4L * d)).toType(t, false);
                NDArray x = m.randomNormal(new Shape(1, d)).toType(t, false);
                double[] us = new double[50];
                for (int k = -10; k < us.length; k++) {
                    long start = System.nanoTime();
                    try (NDArray y = x.matMul(w)) {
                        y.toType(DataType.FLOAT32, false).getFloat(0, 0);
                    }
                    if (k >= 0) {
                        us[k] = (System.nanoTime() - start) / 1e3;
                    }
                }
                double med = median(us);
                System.out.printf("  %-8s %9.1f us%n", t, med);
                out.put(t.toString(), med);
            }
        }
        report.put("precision_matmul_us", out);
    }
}
