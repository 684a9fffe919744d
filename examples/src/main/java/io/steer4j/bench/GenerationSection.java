package io.steer4j.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steer4j.core.plan.HookPoint;
import io.steer4j.core.plan.Intervention;
import io.steer4j.core.plan.InterventionOperator;
import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.core.plan.TokenScope;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.steering.SteeredModel;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.steer4j.bench.Medians.median;
import static io.steer4j.bench.Medians.rounds;

/**
 * {@code steer4j bench --sections generation}: batch-1 greedy generation unsteered, steered at one layer, at every
 * layer and with three vectors at one layer, in interleaved rounds; tokens/s and ms per decode step with their
 * ratios to unsteered. With {@code --python}, PyTorch eager on the same checkpoint for comparison.
 */
final class GenerationSection {
    private final BenchWorkload w;
    private final String python;
    private final Path pythonScript;

    /** @param python a python with torch, or null to skip the eager comparison */
    GenerationSection(BenchWorkload w, String python, Path pythonScript) {
        this.w = w;
        this.python = python;
        this.pythonScript = pythonScript;
    }

    void run(LanguageModel lm, Map<String, Object> report) throws Exception {
        SteeredModel sm = SteeredModel.builder(lm).build();
        Map<String, SteeringPlan> configs = new LinkedHashMap<>();
        configs.put("unsteered", SteeringPlan.NONE);
        configs.put("steered, 1 layer", BenchWorkload.oneLayer(lm, 1));
        configs.put("steered, all " + lm.numLayers() + " layers", allLayers(lm));
        configs.put("steered, 3 vectors", threeVectors(lm));
        List<long[]> p = List.of(w.prompt(lm, 0));
        w.tokensPerSecond(sm, p, List.of(SteeringPlan.NONE)); // warm-up
        Map<String, List<Double>> steps = new LinkedHashMap<>();
        configs.keySet().forEach(k -> steps.put(k, new ArrayList<>()));
        Map<String, double[]> samples = w.interleaved(configs,
                (k, plan) -> w.tokensPerSecond(sm, p, List.of(plan), steps.get(k)));
        double base = median(samples.get("unsteered"));
        double baseStep = median(steps.get("unsteered"));
        System.out.printf("%ngeneration, batch 1, %d-token prompt, %d new tokens, greedy, median of %d:%n",
                w.promptTokens, w.newTokens, w.runs);
        System.out.printf("  %-28s %10s %8s %14s %10s%n", "configuration", "tokens/s", "ratio", "ms/decode step",
                "ratio");
        Map<String, Object> gen = new LinkedHashMap<>();
        for (String k : samples.keySet()) {
            double m = median(samples.get(k));
            double step = median(steps.get(k));
            System.out.printf("  %-28s %10.2f %8.3f %14.2f %10.3f   runs %s%n", k, m, m / base, step, baseStep / step,
                    rounds(samples.get(k)));
            gen.put(k, Map.of("tokens_per_s", m, "ratio_vs_unsteered", m / base, "median_step_ms", step,
                    "step_ratio_vs_unsteered", baseStep / step));
        }
        report.put("generation_batch1", gen);
        if (python != null) {
            pythonEager(lm, gen);
        }
    }

    private static SteeringPlan allLayers(LanguageModel lm) {
        SteeringPlan.Builder b = SteeringPlan.builder();
        for (int l = 0; l < lm.numLayers(); l++) {
            b.add(Intervention.add(l, BenchWorkload.randomVector(lm.hiddenSize(), l), 0.1));
        }
        return b.build();
    }

    private static SteeringPlan threeVectors(LanguageModel lm) {
        SteeringPlan.Builder b = SteeringPlan.builder();
        int l = lm.numLayers() / 2;
        for (int k = 0; k < 3; k++) {
            b.add(new Intervention(l, HookPoint.RESID_POST, BenchWorkload.randomVector(lm.hiddenSize(), 50 + k), 0.2,
                    TokenScope.all(), InterventionOperator.ADD, false));
        }
        return b.build();
    }

    private void pythonEager(LanguageModel lm, Map<String, Object> gen) throws Exception {
        for (boolean steer : new boolean[] {false, true}) {
            List<String> cmd = new ArrayList<>(List.of(python, pythonScript.toString(), lm.folder().toString(),
                    "--prompt-tokens", String.valueOf(w.promptTokens), "--new-tokens", String.valueOf(w.newTokens),
                    "--runs", String.valueOf(w.runs)));
            if (steer) {
                cmd.addAll(List.of("--steer-layer", String.valueOf(lm.numLayers() / 2), "--alpha", "0.5"));
            }
            ChildProcess pr = ChildProcess.run(cmd);
            if (pr.exitCode() != 0 || pr.jsonLines().isEmpty()) {
                System.out.println("python eager benchmark failed:\n" + pr.output());
                return;
            }
            String last = pr.jsonLines().get(pr.jsonLines().size() - 1);
            JsonNode j = new ObjectMapper().readTree(last);
            double tps = j.path("tokens_per_s_median").asDouble(j.path("tokens_per_s").asDouble());
            String key = steer ? "steered, 1 layer" : "unsteered";
            @SuppressWarnings("unchecked")
            Map<String, Object> javaFig = (Map<String, Object>) gen.get(key);
            double javaTps = (double) javaFig.get("tokens_per_s");
            System.out.printf("  PyTorch eager (python, %s): %.2f tokens/s; steer4j / eager = %.3f   (%s)%n",
                    key, tps, javaTps / tps, last);
            gen.put("pytorch_eager " + key, Map.of("tokens_per_s", tps, "steer4j_over_eager", javaTps / tps));
        }
    }
}
