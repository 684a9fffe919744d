package io.steer4j.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.steer4j.core.plan.Intervention;
import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.djl.generation.CancellationToken;
import io.steer4j.djl.generation.GenerationConfig;
import io.steer4j.djl.generation.TokenListener;
import io.steer4j.djl.model.CpuEngine;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.model.LoadOptions;
import io.steer4j.djl.steering.SteeredModel;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * steer4j's side of {@code bench --sections peer}, in a fresh JVM as llama.cpp's side is a fresh node process:
 * loads the model (a folder, or the GGUF file llama.cpp reads) on one engine, runs greedy generations (the first
 * one right after loading, with no warm-up of any kind) and prints one JSON line each, in the format of {@code examples/peer/llama-peer.mjs}: load time, then
 * per generation prompt time, decode speed and ids, then optional steered/unsteered pairs, then peak RSS.
 *
 * <p>Usage: {@code PeerChild MODEL java|libtorch PROMPT_IDS NEW_TOKENS GENERATIONS STEERED_PAIRS}
 */
final class PeerChild {
    private static final ObjectMapper JSON = new ObjectMapper();

    private PeerChild() {
    }

    /** One generation's figures. */
    record Run(double promptMs, double decodeTokensPerS, long[] ids) {
    }

    public static void main(String[] args) throws Exception {
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        Path dir = Path.of(args[0]);
        CpuEngine engine = CpuEngine.valueOf(args[1].toUpperCase(java.util.Locale.ROOT));
        long[] prompt = Arrays.stream(args[2].split(",")).mapToLong(Long::parseLong).toArray();
        int newTokens = Integer.parseInt(args[3]);
        int generations = Integer.parseInt(args[4]);
        int pairs = Integer.parseInt(args[5]);
        long t0 = System.nanoTime();
        try (LanguageModel lm = LanguageModel.load(dir, LoadOptions.builder().cpuEngine(engine).build())) {
            SteeredModel sm = SteeredModel.builder(lm).build();
            print(Map.of("load_ms", (System.nanoTime() - t0) / 1e6, "engine", lm.cpuEngine().name()));
            for (int g = 0; g < generations; g++) {
                Run r = generate(sm, prompt, newTokens, SteeringPlan.NONE);
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("generation", g);
                line.put("prompt_ms", r.promptMs());
                line.put("decode_tokens_per_s", r.decodeTokensPerS());
                line.put("ids", r.ids());
                print(line);
            }
            SteeringPlan steer = controlVectorPlan(lm);
            for (int k = 0; k < pairs; k++) { // back to back, alternating which goes first
                boolean steeredFirst = k % 2 == 0;
                Run a = generate(sm, prompt, newTokens, steeredFirst ? steer : SteeringPlan.NONE);
                Run b = generate(sm, prompt, newTokens, steeredFirst ? SteeringPlan.NONE : steer);
                Run s = steeredFirst ? a : b;
                Run p = steeredFirst ? b : a;
                print(Map.of("pair", k, "steered_over_unsteered", s.decodeTokensPerS() / p.decodeTokensPerS()));
            }
        }
        print(Map.of("peak_rss_mib", Memory.peakRssBytes() / 1048576.0));
    }

    private static void print(Map<String, ?> line) throws Exception {
        System.out.println(JSON.writeValueAsString(line));
        System.out.flush();
    }

    /** A plan adding a vector at every layer a GGUF control vector can address (1 .. layers-1), as llama.cpp would. */
    static SteeringPlan controlVectorPlan(LanguageModel lm) {
        SteeringPlan.Builder b = SteeringPlan.builder();
        SplittableRandom r = new SplittableRandom(7);
        for (int l = 1; l < lm.numLayers(); l++) {
            float[] v = new float[lm.hiddenSize()];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) r.nextGaussian() * 0.05f;
            }
            b.add(Intervention.add(l, v, 1.0));
        }
        return b.build();
    }

    private static Run generate(SteeredModel sm, long[] prompt, int newTokens, SteeringPlan plan) {
        GenerationConfig cfg = GenerationConfig.builder().maxNewTokens(newTokens).stopAtEos(false).build();
        List<Long> stamps = new ArrayList<>();
        TokenListener listener = (row, token, text) -> stamps.add(System.nanoTime());
        long start = System.nanoTime();
        long[] ids = sm.generateBatchIds(List.of(prompt), cfg, List.of(plan), listener, CancellationToken.NEVER)
                .get(0).tokens();
        double decodeS = (stamps.get(stamps.size() - 1) - stamps.get(0)) / 1e9;
        return new Run((stamps.get(0) - start) / 1e6, (stamps.size() - 1) / decodeS, ids);
    }
}
