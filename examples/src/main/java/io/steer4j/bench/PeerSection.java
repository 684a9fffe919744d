package io.steer4j.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steer4j.core.hook.Intervention;
import io.steer4j.core.hook.SteeringPlan;
import io.steer4j.djl.generation.CancellationToken;
import io.steer4j.djl.generation.GenerationConfig;
import io.steer4j.djl.generation.TokenListener;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.model.CpuEngine;
import io.steer4j.djl.model.LoadOptions;
import io.steer4j.djl.steering.SteeredModel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Collectors;

/**
 * The peer comparison of {@code steer4j bench --sections peer}: converts the checkpoint to a float32 GGUF
 * ({@link GgufModelWriter}), runs llama.cpp on it through node-llama-cpp ({@code examples/peer/llama-peer.mjs}),
 * and times steer4j's Vector API path, its libtorch path and llama.cpp in interleaved rounds on the same prompt
 * and thread count, checking that all three produce the same greedy ids.
 */
final class PeerSection {
    /** One generation's figures. */
    record Run(double promptMs, double decodeTokensPerS, long[] ids) {
    }

    private final LanguageModel lm;
    private final Path peerDir;
    private final Path script;
    private final long[] prompt;
    private final int newTokens;
    private final int runs;
    private final int threads;
    private final ObjectMapper json = new ObjectMapper();

    PeerSection(LanguageModel lm, Path peerDir, Path script, long[] prompt, int newTokens, int runs) {
        this.lm = lm;
        this.peerDir = peerDir;
        this.script = script;
        this.prompt = prompt;
        this.newTokens = newTokens;
        this.runs = runs;
        this.threads = CpuEngine.threads();
    }

    /** Runs the comparison and returns its figures for the JSON report (or why it was skipped). */
    Map<String, Object> run() throws Exception {
        Map<String, Object> out = new LinkedHashMap<>();
        System.out.printf("%npeer: llama.cpp (node-llama-cpp) on the same weights, %d threads each%n", threads);
        if (peerDir == null || !Files.isDirectory(peerDir.resolve("node_modules/node-llama-cpp"))) {
            String why = "node-llama-cpp is not installed (pass --peer DIR, or set STEER4J_PEER, to a folder where "
                    + "`npm install node-llama-cpp@3.22 @node-llama-cpp/linux-x64@3.22` ran); skipped";
            System.out.println("  " + why);
            out.put("skipped", why);
            return out;
        }
        if (!Files.isRegularFile(script)) {
            throw new IOException("peer script " + script + " not found (run bench from the repository root or pass "
                    + "--peer-script)");
        }
        if (lm.cpuEngine() != CpuEngine.JAVA) {
            System.out.println("  note: the Java CPU engine is off for this model (start java with "
                    + CpuEngine.JVM_FLAG + "); 'steer4j java' below is then libtorch too");
        }
        Path dir = Files.createTempDirectory("steer4j-peer");
        Path gguf = dir.resolve("model.gguf");
        try {
            long t0 = System.nanoTime();
            long bytes = convertInChildJvm(gguf);
            System.out.printf("  converted %s to a float32 GGUF of %.1f MB in %.1f s%n", lm.folder(), bytes / 1e6,
                    (System.nanoTime() - t0) / 1e9);
            compare(gguf, out);
        } finally {
            Files.deleteIfExists(gguf);
            Files.deleteIfExists(dir);
        }
        return out;
    }

    /** Runs {@link GgufModelWriter} in a child JVM so that its temporary arrays do not count in this one's RSS. */
    private long convertInChildJvm(Path gguf) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ChildProcess p = ChildProcess.run(List.of(java.toString(), "-cp", System.getProperty("java.class.path"),
                GgufModelWriter.class.getName(), lm.folder().toString(), gguf.toString()));
        if (p.exitCode() != 0 || !Files.isRegularFile(gguf)) {
            throw new IOException("GGUF conversion failed (exit " + p.exitCode() + "):\n" + p.output());
        }
        return Files.size(gguf);
    }

    private void compare(Path gguf, Map<String, Object> out) throws Exception {
        SteeredModel sm = SteeredModel.builder(lm).build();
        try (LanguageModel torchLm = LanguageModel.load(lm.folder(),
                LoadOptions.builder().cpuEngine(CpuEngine.LIBTORCH).build())) {
            compare(gguf, out, sm, SteeredModel.builder(torchLm).build());
        }
    }

    private void compare(Path gguf, Map<String, Object> out, SteeredModel sm, SteeredModel torchSm) throws Exception {
        SteeringPlan steer = controlVectorPlan();
        List<Run> vector = new ArrayList<>();
        List<Run> vectorSteered = new ArrayList<>();
        List<Double> steeringCost = new ArrayList<>(); // steered / unsteered decode speed, pair by pair
        List<Run> torch = new ArrayList<>();
        List<Run> llamaFirst = new ArrayList<>();
        List<Run> llamaWarm = new ArrayList<>();
        double llamaRss = 0;
        double steerRss = 0;
        Run firstInProcess = generate(sm, SteeringPlan.NONE); // the first generation after load
        for (int r = 0; r < runs; r++) {
            List<JsonNode> lines = node(gguf, 2);
            llamaFirst.add(fromJson(lines.get(1)));
            llamaWarm.add(fromJson(lines.get(2)));
            llamaRss = Math.max(llamaRss, lines.get(3).get("peak_rss_mib").asDouble());
            Run plain = generate(sm, SteeringPlan.NONE);
            Run steered = generate(sm, steer);
            vector.add(plain);
            vectorSteered.add(steered);
            steeringCost.add(steered.decodeTokensPerS() / plain.decodeTokensPerS());
            // A tiny model decodes a generation in milliseconds, where one preemption moves a single figure by
            // tens of percent: more pairs, in alternating order, until a round has ~0.25 s of each
            int extra = (int) Math.min(50, Math.ceil(0.25 * plain.decodeTokensPerS() / newTokens) - 1);
            for (int k = 0; k < extra; k++) {
                boolean steeredFirst = k % 2 == 0;
                Run a = generate(sm, steeredFirst ? steer : SteeringPlan.NONE);
                Run b = generate(sm, steeredFirst ? SteeringPlan.NONE : steer);
                Run s2 = steeredFirst ? a : b;
                Run p2 = steeredFirst ? b : a;
                steeringCost.add(s2.decodeTokensPerS() / p2.decodeTokensPerS());
            }
            if (r == 0) { // before the libtorch path has touched its (memory-mapped) weights
                steerRss = Memory.peakRssBytes() / 1048576.0;
            }
            torch.add(generate(torchSm, SteeringPlan.NONE));
        }
        long[] llamaIds = llamaWarm.get(0).ids();
        boolean vectorSame = Arrays.equals(llamaIds, vector.get(0).ids());
        boolean torchSame = Arrays.equals(llamaIds, torch.get(0).ids());
        double lDecode = median(llamaWarm, Run::decodeTokensPerS);
        double vDecode = median(vector, Run::decodeTokensPerS);
        double tDecode = median(torch, Run::decodeTokensPerS);
        double sDecode = median(vectorSteered, Run::decodeTokensPerS);
        double lPrompt = prompt.length / median(llamaWarm, Run::promptMs) * 1000;
        double vPrompt = prompt.length / median(vector, Run::promptMs) * 1000;
        double tPrompt = prompt.length / median(torch, Run::promptMs) * 1000;
        double lFirst = median(llamaFirst, Run::decodeTokensPerS);
        System.out.printf("  batch 1, %d-token prompt + %d new tokens, greedy, median of %d interleaved rounds%n",
                prompt.length, newTokens, runs);
        System.out.printf("  %-44s %12s %14s %7s %15s %7s%n", "figure", "llama.cpp", "steer4j vector", "ratio",
                "steer4j libtorch", "ratio");
        row("decode, unsteered (tokens/s)", lDecode, vDecode, tDecode);
        double steeredRatio = BenchCommand.median(steeringCost);
        System.out.printf("  %-44s %12s %14.1f %7.3f %15s %7s   (ratio: median of %d back-to-back pairs, steered / "
                + "unsteered; node-llama-cpp has no control-vector API)%n",
                "decode, control vector on " + (lm.numLayers() - 1) + " layers", "-", sDecode, steeredRatio, "-", "",
                steeringCost.size());
        row("prompt processing (tokens/s)", lPrompt, vPrompt, tPrompt);
        System.out.printf("  %-44s %12.1f %14.1f %7.3f %15s %7s   (first / steady: llama.cpp %.2f, steer4j %.2f)%n",
                "first generation after load, decode (tok/s)", lFirst, firstInProcess.decodeTokensPerS(),
                firstInProcess.decodeTokensPerS() / lFirst, "-", "", lFirst / lDecode,
                firstInProcess.decodeTokensPerS() / vDecode);
        System.out.printf("  %-44s %12.0f %14.0f %7.3f %15s %7s   (steer4j: whole bench process before any "
                + "libtorch generation)%n", "peak RSS (MiB)", llamaRss, steerRss, steerRss / llamaRss, "-", "");
        System.out.printf("  %-44s %12s %14s %7s %15s%n", "same greedy ids as llama.cpp", "-", vectorSame ? "yes" : "NO",
                "", torchSame ? "yes" : "NO");
        System.out.printf("  runs, decode tok/s: llama.cpp %s; steer4j vector %s; libtorch %s%n",
                fmt(llamaWarm), fmt(vector), fmt(torch));
        out.put("threads", threads);
        out.put("llama_decode_tokens_per_s", lDecode);
        out.put("vector_decode_tokens_per_s", vDecode);
        out.put("libtorch_decode_tokens_per_s", tDecode);
        out.put("vector_steered_decode_tokens_per_s", sDecode);
        out.put("vector_steered_over_unsteered", steeredRatio);
        out.put("vector_steering_pairs", steeringCost.size());
        out.put("llama_prompt_tokens_per_s", lPrompt);
        out.put("vector_prompt_tokens_per_s", vPrompt);
        out.put("libtorch_prompt_tokens_per_s", tPrompt);
        out.put("llama_first_generation_decode_tokens_per_s", lFirst);
        out.put("vector_first_generation_decode_tokens_per_s", firstInProcess.decodeTokensPerS());
        out.put("llama_peak_rss_mib", llamaRss);
        out.put("steer4j_peak_rss_mib", steerRss);
        out.put("same_ids_vector", vectorSame);
        out.put("same_ids_libtorch", torchSame);
    }

    private static void row(String name, double llama, double vector, double torch) {
        System.out.printf("  %-44s %12.1f %14.1f %7.3f %15.1f %7.3f%n", name, llama, vector, vector / llama, torch,
                torch / llama);
    }

    /** A plan adding a vector at every layer a GGUF control vector can address (1 .. layers-1), as llama.cpp would. */
    private SteeringPlan controlVectorPlan() {
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

    private Run generate(SteeredModel sm, SteeringPlan plan) {
        {
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

    private List<JsonNode> node(Path gguf, int generations) throws Exception {
        String ids = Arrays.stream(prompt).mapToObj(Long::toString).collect(Collectors.joining(","));
        ChildProcess p = ChildProcess.run(List.of("node", script.toString(), peerDir.toString(), gguf.toString(), ids,
                String.valueOf(newTokens), String.valueOf(threads), String.valueOf(generations)));
        if (p.exitCode() != 0 || p.jsonLines().size() != generations + 2) {
            throw new IOException("llama.cpp peer failed (exit " + p.exitCode() + "):\n" + p.output());
        }
        List<JsonNode> lines = new ArrayList<>();
        for (String line : p.jsonLines()) {
            lines.add(json.readTree(line));
        }
        return lines;
    }

    private static Run fromJson(JsonNode n) {
        long[] ids = new long[n.get("ids").size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = n.get("ids").get(i).asLong();
        }
        return new Run(n.get("prompt_ms").asDouble(), n.get("decode_tokens_per_s").asDouble(), ids);
    }

    private static double median(List<Run> runs, java.util.function.ToDoubleFunction<Run> f) {
        return BenchCommand.median(runs.stream().mapToDouble(f).toArray());
    }

    private static String fmt(List<Run> runs) {
        return runs.stream().map(r -> String.format("%.1f", r.decodeTokensPerS())).collect(Collectors.joining(" ", "[", "]"));
    }
}
