package io.steer4j.bench;

import io.steer4j.core.plan.Intervention;
import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.djl.generation.CancellationToken;
import io.steer4j.djl.generation.GenerationConfig;
import io.steer4j.djl.generation.TokenListener;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.steering.SteeredModel;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * What the sections of {@code steer4j bench} time, the same for all of them: seeded random prompts of
 * {@code promptTokens} ids, random steering vectors, one greedy generation of {@code newTokens} tokens (never
 * stopping at EOS, so every run does the same work), and {@code runs} rounds in which every configuration is
 * measured once per round.
 */
final class BenchWorkload {
    final int promptTokens;
    final int newTokens;
    final int runs;

    BenchWorkload(int promptTokens, int newTokens, int runs) {
        this.promptTokens = promptTokens;
        this.newTokens = newTokens;
        this.runs = runs;
    }

    /** The seeded random prompt of row {@code row}. */
    long[] prompt(LanguageModel lm, int row) {
        SplittableRandom r = new SplittableRandom(1234 + row);
        long[] ids = new long[promptTokens];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = r.nextInt(Math.min(lm.config().vocabSize(), 50000));
        }
        return ids;
    }

    static float[] randomVector(int dim, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[dim];
        for (int i = 0; i < dim; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    /** A random vector added at the middle layer. */
    static SteeringPlan oneLayer(LanguageModel lm, long seed) {
        return SteeringPlan.builder().add(Intervention.add(lm.numLayers() / 2, randomVector(lm.hiddenSize(), seed), 0.5))
                .build();
    }

    double tokensPerSecond(SteeredModel sm, List<long[]> prompts, List<SteeringPlan> plans) {
        return tokensPerSecond(sm, prompts, plans, null);
    }

    /** Times one generation; when {@code stepMs} is given, adds the interval between consecutive tokens to it. */
    double tokensPerSecond(SteeredModel sm, List<long[]> prompts, List<SteeringPlan> plans, List<Double> stepMs) {
        GenerationConfig cfg = GenerationConfig.builder().maxNewTokens(newTokens).stopAtEos(false).build();
        long[] last = {0};
        TokenListener listener = stepMs == null ? TokenListener.NONE : (row, token, text) -> {
            long now = System.nanoTime();
            if (last[0] != 0) {
                stepMs.add((now - last[0]) / 1e6);
            }
            last[0] = now;
        };
        long start = System.nanoTime();
        int produced = sm.generateBatchIds(prompts, cfg, plans, listener, CancellationToken.NEVER)
                .stream().mapToInt(r -> r.tokens().length).sum();
        return produced / ((System.nanoTime() - start) / 1e9);
    }

    /** One measurement of configuration {@code key}. */
    @FunctionalInterface
    interface Measure<V> {
        double run(String key, V config) throws Exception;
    }

    /**
     * {@link #runs} measurements of every configuration, interleaved round by round so that a slow stretch of the
     * machine hits every configuration alike and the ratios stay side by side.
     */
    <V> Map<String, double[]> interleaved(Map<String, V> configs, Measure<V> measure) throws Exception {
        Map<String, double[]> samples = new LinkedHashMap<>();
        configs.keySet().forEach(k -> samples.put(k, new double[runs]));
        for (int r = 0; r < runs; r++) {
            for (Map.Entry<String, V> e : configs.entrySet()) {
                samples.get(e.getKey())[r] = measure.run(e.getKey(), e.getValue());
            }
        }
        return samples;
    }
}
