package io.steer4j.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steer4j.cli.BaseCommand;
import io.steer4j.cli.DeviceOption;
import io.steer4j.core.dataset.ContrastiveDataset;
import io.steer4j.core.dataset.ContrastivePair;
import io.steer4j.core.plan.HookPoint;
import io.steer4j.core.plan.Intervention;
import io.steer4j.core.plan.InterventionOperator;
import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.core.plan.TokenScope;
import io.steer4j.djl.generation.CancellationToken;
import io.steer4j.djl.generation.GenerationConfig;
import io.steer4j.djl.generation.TokenListener;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.model.Precision;
import io.steer4j.djl.steering.SteeredModel;
import io.steer4j.djl.steering.SteeringVectorComputer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * {@code steer4j bench}: generation speed unsteered vs steered, batched throughput, vector extraction speed,
 * memory, and the machine's copy bandwidth, with every configuration timed in interleaved rounds so the ratios
 * come from one run; optionally PyTorch eager from Python on the same checkpoint for comparison.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmark generation (unsteered vs steered), batching, vector computation and memory.")
public final class BenchCommand extends BaseCommand {
    @picocli.CommandLine.Mixin
    DeviceOption deviceOption = new DeviceOption();

    @Option(names = "--model", required = true, description = "model folder or Hugging Face id")
    String model;

    @Option(names = "--prompt-tokens", defaultValue = "16", description = "prompt length in tokens (default ${DEFAULT-VALUE})")
    int promptTokens;

    @Option(names = "--new-tokens", defaultValue = "128", description = "tokens generated per run (default ${DEFAULT-VALUE})")
    int newTokens;

    @Option(names = "--runs", defaultValue = "5", description = "rounds; figures are medians (default ${DEFAULT-VALUE})")
    int runs;

    @Option(names = "--batches", split = ",", defaultValue = "1,4,16", description = "batch sizes for throughput")
    int[] batches;

    @Option(names = "--threads", split = ",", defaultValue = "1,2,4,16", description = "request threads for the threads section")
    int[] threadCounts;

    @Option(names = "--pairs", defaultValue = "200", description = "pairs for the extraction benchmark (0 = skip)")
    int pairs;

    @Option(names = "--python", description = "python with torch, to time PyTorch eager on the same checkpoint (e.g. /usr/bin/python3)")
    String python;

    @Option(names = "--python-script", defaultValue = "src-test-fixtures/python/bench_gpt2_eager.py",
            description = "the eager benchmark script (default ${DEFAULT-VALUE})")
    Path pythonScript;

    @Option(names = "--soak", defaultValue = "0", description = "generations for the memory soak (0 = skip)")
    int soak;

    @Option(names = "--sections", split = ",", defaultValue = "generation,batch,threads,extraction,bandwidth,precision,memory",
            description = "Comma-separated sections to run: generation (batch-1 speed, steered and not), batch "
                    + "(a vector per row), threads (concurrent callers, continuous batching), extraction (vector "
                    + "from pairs), bandwidth (memory read probe), precision (float16 vs float32), memory (RSS, "
                    + "soak), peer (llama.cpp through node-llama-cpp on the same weights), products (weight "
                    + "products through libtorch), none (only --profile). Default: ${DEFAULT-VALUE}.")
    List<String> sections;

    @Option(names = "--peer", paramLabel = "DIR",
            description = "folder where node-llama-cpp is installed (npm), for the peer section; default $STEER4J_PEER")
    Path peer;

    @Option(names = "--peer-script", defaultValue = "examples/peer/llama-peer.mjs",
            description = "the node script that runs llama.cpp (default ${DEFAULT-VALUE})")
    Path peerScript;

    @Option(names = "--profile", paramLabel = "FILE",
            description = "profile one batch-1 generation with libtorch's profiler: write its Chrome trace to FILE "
                    + "and print time per decoded token by operator")
    Path profile;

    private final Map<String, Object> report = new LinkedHashMap<>();
    private double loadSeconds;
    private double firstVectorSeconds;

    /** The names --sections accepts ("none" runs only what --profile asks for). */
    static final List<String> SECTIONS =
            List.of("generation", "batch", "threads", "extraction", "bandwidth", "precision", "memory", "peer",
                    "products", "none");

    /** The names {@code --sections} accepts. */
    public static List<String> sectionNames() {
        return SECTIONS;
    }

    @Override
    protected int run() throws Exception {
        for (String s : sections) {
            if (!SECTIONS.contains(s)) {
                throw usage("--sections: unknown section '" + s + "'; known: " + String.join(", ", SECTIONS));
            }
        }
        long rssBefore = Memory.rssBytes();
        long t0 = System.nanoTime();
        try (LanguageModel lm = LanguageModel.load(model, deviceOption.toDevice(), deviceOption.toPrecision())) {
            double loadS = (System.nanoTime() - t0) / 1e9;
            loadSeconds = loadS;
            System.out.printf("model %s: %d layers, hidden %d, vocab %d, %s on %s; load %.2f s; torch threads default%n",
                    lm.modelId(), lm.numLayers(), lm.hiddenSize(), lm.config().vocabSize(), lm.precision(),
                    lm.device(), loadS);
            long rssLoaded = Memory.rssBytes();
            System.out.printf("batch-1 CPU engine: %s%n", lm.cpuEngine() == io.steer4j.djl.model.CpuEngine.JAVA
                    ? "Java (Vector API, " + io.steer4j.djl.model.CpuEngine.threads() + " threads)"
                    : "libtorch (start java with " + io.steer4j.djl.model.CpuEngine.JVM_FLAG + " for the Java engine)");
            System.out.printf("JVM: max heap %d MiB, transparent huge pages for the heap %s%n",
                    Runtime.getRuntime().maxMemory() >> 20, jvmFlag("UseTransparentHugePages"));
            if (sections.contains("peer")) { // every side in fresh processes of its own
                Path dir = peer != null ? peer : System.getenv("STEER4J_PEER") == null ? null
                        : Path.of(System.getenv("STEER4J_PEER"));
                report.put("peer", new PeerSection(lm, dir, peerScript, prompt(lm, 0), newTokens, runs).run());
            }
            if (sections.contains("extraction") && pairs > 0) {
                firstVectorSeconds = firstVector(lm); // before anything else has warmed the engine
            }
            if (sections.contains("generation")) {
                generation(lm);
            }
            if (sections.contains("batch")) {
                batched(lm);
            }
            if (sections.contains("threads")) {
                threads(lm);
            }
            if (sections.contains("extraction") && pairs > 0) {
                extraction(lm);
            }
            if (sections.contains("bandwidth")) {
                bandwidth(lm);
            }
            if (sections.contains("products")) {
                report.put("products", new ProductsSection(lm, runs).run());
            }
            if (sections.contains("precision")) {
                precision(lm);
            }
            if (sections.contains("memory")) {
                memory(rssBefore, rssLoaded);
            }
            if (soak > 0) {
                soak(lm);
            }
            if (profile != null) {
                profile(lm);
            }
        }
        System.out.println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(report));
        return 0;
    }

    private long[] prompt(LanguageModel lm, int row) {
        SplittableRandom r = new SplittableRandom(1234 + row);
        long[] ids = new long[promptTokens];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = r.nextInt(Math.min(lm.config().vocabSize(), 50000));
        }
        return ids;
    }

    private static float[] randomVector(int dim, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[dim];
        for (int i = 0; i < dim; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    private SteeringPlan oneLayer(LanguageModel lm, long seed) {
        return SteeringPlan.builder().add(Intervention.add(lm.numLayers() / 2, randomVector(lm.hiddenSize(), seed), 0.5))
                .build();
    }

    private SteeringPlan allLayers(LanguageModel lm) {
        SteeringPlan.Builder b = SteeringPlan.builder();
        for (int l = 0; l < lm.numLayers(); l++) {
            b.add(Intervention.add(l, randomVector(lm.hiddenSize(), l), 0.1));
        }
        return b.build();
    }

    private SteeringPlan threeVectors(LanguageModel lm) {
        SteeringPlan.Builder b = SteeringPlan.builder();
        int l = lm.numLayers() / 2;
        for (int k = 0; k < 3; k++) {
            b.add(new Intervention(l, HookPoint.RESID_POST, randomVector(lm.hiddenSize(), 50 + k), 0.2,
                    TokenScope.all(), InterventionOperator.ADD, false));
        }
        return b.build();
    }

    private double tokensPerSecond(SteeredModel sm, List<long[]> prompts, List<SteeringPlan> plans) {
        return tokensPerSecond(sm, prompts, plans, null);
    }

    /** Times one generation; when {@code stepMs} is given, adds the interval between consecutive tokens to it. */
    private double tokensPerSecond(SteeredModel sm, List<long[]> prompts, List<SteeringPlan> plans,
                                   List<Double> stepMs) {
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

    private void generation(LanguageModel lm) throws Exception {
        SteeredModel sm = SteeredModel.builder(lm).build();
        Map<String, SteeringPlan> configs = new LinkedHashMap<>();
        configs.put("unsteered", SteeringPlan.NONE);
        configs.put("steered, 1 layer", oneLayer(lm, 1));
        configs.put("steered, all " + lm.numLayers() + " layers", allLayers(lm));
        configs.put("steered, 3 vectors", threeVectors(lm));
        List<long[]> p = List.of(prompt(lm, 0));
        tokensPerSecond(sm, p, List.of(SteeringPlan.NONE)); // warm-up
        Map<String, List<Double>> steps = new LinkedHashMap<>();
        configs.keySet().forEach(k -> steps.put(k, new ArrayList<>()));
        Map<String, double[]> samples = interleaved(configs,
                (k, plan) -> tokensPerSecond(sm, p, List.of(plan), steps.get(k)));
        double base = median(samples.get("unsteered"));
        double baseStep = median(steps.get("unsteered"));
        System.out.printf("%ngeneration, batch 1, %d-token prompt, %d new tokens, greedy, median of %d:%n",
                promptTokens, newTokens, runs);
        System.out.printf("  %-28s %10s %8s %14s %10s%n", "configuration", "tokens/s", "ratio", "ms/decode step",
                "ratio");
        Map<String, Object> gen = new LinkedHashMap<>();
        for (String k : samples.keySet()) {
            double m = median(samples.get(k));
            double step = median(steps.get(k));
            System.out.printf("  %-28s %10.2f %8.3f %14.2f %10.3f   runs %s%n", k, m, m / base, step, baseStep / step,
                    fmt(samples.get(k)));
            gen.put(k, Map.of("tokens_per_s", m, "ratio_vs_unsteered", m / base, "median_step_ms", step,
                    "step_ratio_vs_unsteered", baseStep / step));
        }
        report.put("generation_batch1", gen);
        if (python != null) {
            pythonEager(lm, base, gen);
        }
    }

    private void pythonEager(LanguageModel lm, double javaUnsteered, Map<String, Object> gen) throws Exception {
        for (boolean steer : new boolean[] {false, true}) {
            List<String> cmd = new ArrayList<>(List.of(python, pythonScript.toString(), lm.folder().toString(),
                    "--prompt-tokens", String.valueOf(promptTokens), "--new-tokens", String.valueOf(newTokens),
                    "--runs", String.valueOf(runs)));
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

    private void batched(LanguageModel lm) {
        SteeredModel sm = SteeredModel.builder(lm).build();
        System.out.printf("%nbatched generation, a different vector per row, %d new tokens, median of %d:%n",
                newTokens, runs);
        Map<String, Object> out = new LinkedHashMap<>();
        Map<Integer, double[]> samples = new LinkedHashMap<>();
        for (int b : batches) {
            samples.put(b, new double[runs]);
        }
        for (int r = 0; r < runs; r++) {
            for (int b : batches) {
                List<long[]> ps = new ArrayList<>();
                List<SteeringPlan> plans = new ArrayList<>();
                for (int i = 0; i < b; i++) {
                    ps.add(prompt(lm, i));
                    plans.add(oneLayer(lm, 100 + i));
                }
                samples.get(b)[r] = tokensPerSecond(sm, ps, plans);
            }
        }
        for (int b : batches) {
            double m = median(samples.get(b));
            System.out.printf("  batch %3d: %10.2f tokens/s aggregate   runs %s%n", b, m, fmt(samples.get(b)));
            out.put("batch_" + b, m);
        }
        report.put("batched_tokens_per_s", out);
    }

    /**
     * Several request threads sharing one model, each generating at batch 1 with its own plan: aggregate tokens/s,
     * to show what serving without batching costs or gains.
     */
    private void threads(LanguageModel lm) throws Exception {
        int most = java.util.Arrays.stream(threadCounts).max().orElse(1);
        Map<String, SteeredModel> modes = new LinkedHashMap<>();
        modes.put("one step at a time", SteeredModel.builder(lm).build());
        modes.put("continuous batching", SteeredModel.builder(lm).continuousBatching(most).build());
        System.out.printf("%nconcurrent requests on one model, one prompt each (a different vector per request), "
                + "%d new tokens, median of %d, tokens/s aggregate:%n", newTokens, runs);
        System.out.printf("  %-10s %20s %20s %8s%n", "threads", "one step at a time", "continuous batching", "ratio");
        Map<String, Object> out = new LinkedHashMap<>();
        GenerationConfig cfg = GenerationConfig.builder().maxNewTokens(newTokens).stopAtEos(false).build();
        try {
            for (SteeredModel sm : modes.values()) { // warm-up
                sm.generateIds(prompt(lm, 0), cfg, SteeringPlan.NONE, TokenListener.NONE, CancellationToken.NEVER);
            }
            for (int n : threadCounts) {
                Map<String, double[]> samples = interleaved(modes,
                        (k, sm) -> concurrentTokensPerSecond(lm, sm, n, cfg));
                double serial = median(samples.get("one step at a time"));
                double batched = median(samples.get("continuous batching"));
                System.out.printf("  %-10d %20.2f %20.2f %8.2f   runs %s / %s%n", n, serial, batched, batched / serial,
                        fmt(samples.get("one step at a time")), fmt(samples.get("continuous batching")));
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
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(n);
        try {
            List<java.util.concurrent.Future<Integer>> fs = new ArrayList<>();
            long start = System.nanoTime();
            for (int k = 0; k < n; k++) {
                final int row = k;
                fs.add(pool.submit(() -> sm.generateIds(prompt(lm, row), cfg, oneLayer(lm, 200 + row),
                        TokenListener.NONE, CancellationToken.NEVER).tokens().length));
            }
            int produced = 0;
            for (java.util.concurrent.Future<Integer> f : fs) {
                produced += f.get();
            }
            return produced / ((System.nanoTime() - start) / 1e9);
        } finally {
            pool.shutdownNow();
        }
    }

    /** Seconds for the first vector computed by a freshly loaded model (one layer, the extraction dataset). */
    private double firstVector(LanguageModel lm) {
        long cold = System.nanoTime();
        SteeringVectorComputer.builder(lm).layers(lm.numLayers() / 2).batchSize(16).keepActivations(false).build()
                .compute(extractionDataset());
        return (System.nanoTime() - cold) / 1e9;
    }

    private ContrastiveDataset extractionDataset() {
        List<ContrastivePair> list = new ArrayList<>();
        SplittableRandom r = new SplittableRandom(7);
        String[] words = {"good", "bad", "happy", "sad", "day", "film", "food", "work", "music", "weather", "friend"};
        for (int i = 0; i < pairs; i++) {
            StringBuilder s = new StringBuilder("I think the");
            for (int k = 0; k < 6; k++) {
                s.append(' ').append(words[r.nextInt(words.length)]);
            }
            list.add(new ContrastivePair(s + " is wonderful", s + " is terrible"));
        }
        return new ContrastiveDataset("bench", list);
    }

    private void extraction(LanguageModel lm) {
        ContrastiveDataset ds = extractionDataset();
        System.out.printf("%nvector computation, %d pairs, batch 16, median of %d:%n", pairs, Math.min(runs, 3));
        Map<String, Object> out = new LinkedHashMap<>();
        int[] oneLayer = {lm.numLayers() / 2};
        int[] all = IntStream.range(0, lm.numLayers()).toArray();
        // Time to first vector: what a user waits for from nothing, the model load plus the first computation,
        // timed right after the load before any other section ran.
        System.out.printf("  time to first vector: load %.2f s + first computation right after it %.2f s = %.2f s%n",
                loadSeconds, firstVectorSeconds, loadSeconds + firstVectorSeconds);
        out.put("time_to_first_vector_s", loadSeconds + firstVectorSeconds);
        for (int[] layers : List.of(oneLayer, all)) {
            double[] secs = new double[Math.min(runs, 3)];
            for (int k = 0; k < secs.length; k++) {
                long t = System.nanoTime();
                SteeringVectorComputer.builder(lm).layers(layers).batchSize(16).keepActivations(false).build().compute(ds);
                secs[k] = (System.nanoTime() - t) / 1e9;
            }
            double m = median(secs);
            String key = layers.length == 1 ? "1 layer" : "all " + layers.length + " layers";
            System.out.printf("  %-16s %8.2f pairs/s  (%.2f s per vector)%n", key, pairs / m, m);
            out.put(key, Map.of("pairs_per_s", pairs / m, "seconds", m));
        }
        report.put("extraction", out);
    }

    private void bandwidth(LanguageModel lm) {
        long weightBytes = Memory.weightBytesPerToken(lm);
        double[] readGbs = new double[5];
        double[] copyGbs = new double[5];
        // On the engine thread like every libtorch call: from the main thread it would start a second OpenMP team
        // and slow both this measurement and every later section.
        lm.compute(() -> {
            streamOver512MiB(readGbs, copyGbs);
            return null;
        });
        double read = median(readGbs);
        double copy = median(copyGbs);
        System.out.printf("%nbandwidth (libtorch, 512 MiB, median of 5): read (sum) %.1f GB/s, copy %.1f GB/s (read+write)%n",
                read, copy);
        System.out.printf("  weights read per decoded token: %.1f MB%n", weightBytes / 1e6);
        report.put("bandwidth", Map.of("read_gb_per_s", read, "copy_gb_per_s", copy,
                "weight_bytes_per_token", weightBytes));
        @SuppressWarnings("unchecked")
        Map<String, Object> gen = (Map<String, Object>) report.get("generation_batch1");
        if (gen != null) {
            @SuppressWarnings("unchecked")
            double tps = (double) ((Map<String, Object>) gen.get("unsteered")).get("tokens_per_s");
            double implied = weightBytes * tps / 1e9;
            System.out.printf("  implied weight streaming at batch 1: %.1f GB/s = %.0f%% of the measured read bandwidth%n",
                    implied, 100 * implied / read);
            report.put("implied_weight_gb_per_s", implied);
            report.put("implied_fraction_of_read_bandwidth", implied / read);
        }
    }

    private static void streamOver512MiB(double[] readGbs, double[] copyGbs) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.ones(new Shape(128L * 1024 * 1024), DataType.FLOAT32); // 512 MiB, far beyond any cache
            a.sum().getFloat();
            a.duplicate().close();
            for (int k = 0; k < readGbs.length; k++) {
                long t = System.nanoTime();
                try (NDArray s = a.sum()) {
                    s.getFloat();
                }
                readGbs[k] = a.size() * 4.0 / ((System.nanoTime() - t) / 1e9) / 1e9;
                t = System.nanoTime();
                NDArray b = a.duplicate();
                b.getFloat(0);
                copyGbs[k] = 2.0 * a.size() * 4 / ((System.nanoTime() - t) / 1e9) / 1e9; // read + write
                b.close();
            }
        }
    }

    /**
     * Whether half precision helps on the model's device: decode-shaped matrix products ([1, hidden] x [hidden,
     * 4 hidden]) in float32 and float16, then batch-1 greedy generation with the checkpoint loaded in each
     * {@link Precision}, interleaved run by run. BF16 is not timed: creating BF16 arrays crashes DJL 0.36's engine
     * (see {@link Precision}).
     */
    private void precision(LanguageModel lm) throws Exception {
        lm.compute(() -> {
            precisionMatmul(lm);
            return null;
        });
        Map<String, double[]> samples = new LinkedHashMap<>();
        try (LanguageModel f32 = LanguageModel.load(lm.folder(), lm.device(), Precision.FLOAT32);
             LanguageModel f16 = LanguageModel.load(lm.folder(), lm.device(), Precision.FLOAT16)) {
            Map<String, SteeredModel> models = new LinkedHashMap<>();
            models.put("float32", SteeredModel.builder(f32).build());
            models.put("float16", SteeredModel.builder(f16).build());
            List<long[]> p = List.of(prompt(lm, 0));
            models.values().forEach(sm -> tokensPerSecond(sm, p, List.of(SteeringPlan.NONE))); // warm-up
            samples.putAll(interleaved(models, (k, sm) -> tokensPerSecond(sm, p, List.of(SteeringPlan.NONE))));
        }
        double base = median(samples.get("float32"));
        System.out.printf("  generation, batch 1, %d new tokens, greedy, median of %d:%n", newTokens, runs);
        Map<String, Object> gen = new LinkedHashMap<>();
        for (Map.Entry<String, double[]> e : samples.entrySet()) {
            double m = median(e.getValue());
            System.out.printf("  %-8s %9.2f tokens/s  ratio %.3f   runs %s%n", e.getKey(), m, m / base, fmt(e.getValue()));
            gen.put(e.getKey(), Map.of("tokens_per_s", m, "ratio_vs_float32", m / base));
        }
        report.put("precision_generation", gen);
    }

    private void precisionMatmul(LanguageModel lm) {
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

    private void memory(long rssBefore, long rssLoaded) {
        System.gc();
        double mib = 1048576.0;
        long rss = Memory.rssBytes();
        long committed = Memory.heapCommittedBytes();
        System.out.printf("%nmemory: RSS before load %.0f MiB, after load %.0f MiB (model +%.0f MiB), now %.0f MiB, "
                        + "peak %.0f MiB; heap used %.0f MiB of %.0f MiB committed; native (RSS - committed heap) "
                        + "%.0f MiB%n", rssBefore / mib, rssLoaded / mib, (rssLoaded - rssBefore) / mib, rss / mib,
                Memory.peakRssBytes() / mib, Memory.heapUsedBytes() / mib, committed / mib, (rss - committed) / mib);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("rss_before_load_mib", rssBefore / mib);
        out.put("rss_after_load_mib", rssLoaded / mib);
        out.put("rss_now_mib", rss / mib);
        out.put("rss_peak_mib", Memory.peakRssBytes() / mib);
        out.put("heap_used_mib", Memory.heapUsedBytes() / mib);
        out.put("native_mib", (rss - committed) / mib);
        report.put("memory", out);
    }

    private void profile(LanguageModel lm) throws IOException {
        SteeredModel sm = SteeredModel.builder(lm).build();
        List<long[]> p = List.of(prompt(lm, 0));
        // libtorch's profiler sees libtorch operators only: profile a twin of the model on libtorch
        try (LanguageModel torchLm = LanguageModel.load(lm.folder(), io.steer4j.djl.model.LoadOptions.builder()
                .device(lm.device()).precision(lm.precision())
                .cpuEngine(io.steer4j.djl.model.CpuEngine.LIBTORCH).build())) {
            SteeredModel torchSm = SteeredModel.builder(torchLm).build();
            tokensPerSecond(torchSm, p, List.of(SteeringPlan.NONE)); // warm-up
            OpProfile.record(torchLm, profile, () -> tokensPerSecond(torchSm, p, List.of(SteeringPlan.NONE)));
        }
        List<OpProfile.Row> rows = OpProfile.summarize(profile);
        double perToken = newTokens * 1000.0;
        double total = rows.stream().mapToDouble(OpProfile.Row::totalUs).sum();
        double weights = rows.stream().filter(r -> OpProfile.isWeightProduct(r.name()))
                .mapToDouble(OpProfile.Row::totalUs).sum();
        int calls = rows.stream().mapToInt(OpProfile.Row::calls).sum();
        System.out.printf("%nprofile of one batch-1 generation on the libtorch path (%d-token prompt + %d tokens), "
                + "trace in %s:%n",
                promptTokens, newTokens, profile);
        System.out.printf("  operators %.1f ms per token (%.0f calls): products with weights %.2f ms, everything else "
                + "%.2f ms%n", total / perToken, calls / (double) newTokens, weights / perToken, (total - weights) / perToken);
        System.out.printf("  %-36s %12s %12s %12s%n", "operator", "ms/token", "calls/token", "median us");
        for (OpProfile.Row r : rows.subList(0, Math.min(20, rows.size()))) {
            System.out.printf("  %-36s %12.3f %12.1f %12.1f%n", r.name(), r.totalUs() / perToken,
                    r.calls() / (double) newTokens, r.medianUs());
        }
        report.put("profile", Map.of("ms_per_token", total / perToken, "weight_products_ms_per_token",
                weights / perToken, "other_ms_per_token", (total - weights) / perToken, "trace", profile.toString()));
    }

    private void soak(LanguageModel lm) {
        SteeredModel sm = SteeredModel.builder(lm).build();
        GenerationConfig cfg = GenerationConfig.builder().maxNewTokens(8).stopAtEos(false).build();
        long[] p = prompt(lm, 0);
        List<long[]> prompts = List.of(p);
        System.out.printf("%nsoak: %d generations of 8 tokens, alternating plans%n", soak);
        long rss0 = 0;
        List<String> rows = new ArrayList<>();
        for (int i = 0; i < soak; i++) {
            SteeringPlan plan = i % 2 == 0 ? SteeringPlan.NONE : oneLayer(lm, i);
            sm.generateBatchIds(prompts, cfg, List.of(plan), TokenListener.NONE, CancellationToken.NEVER);
            if (i == soak / 10) {
                System.gc();
                rss0 = Memory.rssBytes();
            }
            if ((i + 1) % Math.max(1, soak / 5) == 0) {
                System.gc();
                String row = String.format("  after %5d: RSS %.1f MiB, heap %.1f MiB", i + 1,
                        Memory.rssBytes() / 1048576.0, Memory.heapUsedBytes() / 1048576.0);
                System.out.println(row);
                rows.add(row);
            }
        }
        System.gc();
        long rss1 = Memory.rssBytes();
        System.out.printf("  RSS growth from generation %d to %d: %.1f MiB%n", soak / 10, soak, (rss1 - rss0) / 1048576.0);
        report.put("soak", Map.of("generations", soak, "rss_growth_mib", (rss1 - rss0) / 1048576.0));
    }

    /** One measurement of configuration {@code key}. */
    @FunctionalInterface
    private interface Measure<V> {
        double run(String key, V config) throws Exception;
    }

    /**
     * {@link #runs} measurements of every configuration, interleaved round by round so that a slow stretch of the
     * machine hits every configuration alike and the ratios stay side by side.
     */
    private <V> Map<String, double[]> interleaved(Map<String, V> configs, Measure<V> measure) throws Exception {
        Map<String, double[]> samples = new LinkedHashMap<>();
        configs.keySet().forEach(k -> samples.put(k, new double[runs]));
        for (int r = 0; r < runs; r++) {
            for (Map.Entry<String, V> e : configs.entrySet()) {
                samples.get(e.getKey())[r] = measure.run(e.getKey(), e.getValue());
            }
        }
        return samples;
    }

    static double median(double[] v) {
        double[] c = v.clone();
        Arrays.sort(c);
        return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
    }

    static double median(List<Double> v) {
        return median(v.stream().mapToDouble(Double::doubleValue).toArray());
    }

    private static String fmt(double[] v) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < v.length; i++) {
            sb.append(i == 0 ? "" : " ").append(String.format("%.1f", v[i]));
        }
        return sb.append(']').toString();
    }

    /** A HotSpot flag's value ("true", "false"), or "unknown" on a JVM without the diagnostic bean. */
    static String jvmFlag(String name) {
        try {
            return java.lang.management.ManagementFactory.getPlatformMXBean(
                    com.sun.management.HotSpotDiagnosticMXBean.class).getVMOption(name).getValue();
        } catch (RuntimeException e) {
            return "unknown";
        }
    }
}
