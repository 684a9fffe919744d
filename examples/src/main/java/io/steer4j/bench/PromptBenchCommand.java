package io.steer4j.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import io.steer4j.cli.BaseCommand;
import io.steer4j.djl.hooks.HookSet;
import io.steer4j.djl.model.CpuEngine;
import io.steer4j.djl.model.ForwardInput;
import io.steer4j.djl.model.KvCache;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.model.LoadOptions;
import io.steer4j.djl.model.LogitsMode;
import io.steer4j.djl.model.ModelConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;

/**
 * {@code steer4j bench-prompt}: prompt processing (a generation's prompt pass: every prompt token through the
 * model into a fresh KV cache, the last position's logits) on the Java CPU engine and on libtorch, side by side
 * in one process. Both engines use the same thread count ({@link CpuEngine#threads()}, libtorch's intra-op
 * threads set to it); for each prompt length the two alternate within every round, their order swapped each round,
 * after untimed warm-up rounds; figures are medians. Besides wall-clock speed it prints each engine's process
 * CPU time per pass, which a machine shared with other work inflates far less than wall time (with one thread,
 * {@code -Dsteer4j.cpu.threads=1}, it is the work a pass costs; with more it includes the engines' spinning). It
 * also prints the largest difference between the two engines' logits, which must be float32 rounding.
 */
@Command(name = "bench-prompt", mixinStandardHelpOptions = true,
        description = "Prompt processing speed, Java CPU engine vs libtorch, at several prompt lengths.")
public final class PromptBenchCommand extends BaseCommand {
    @Option(names = "--model", required = true, description = "model folder")
    Path model;

    @Option(names = "--prompt-tokens", split = ",", defaultValue = "16,128,512",
            description = "prompt lengths in tokens (default ${DEFAULT-VALUE})")
    int[] lengths;

    @Option(names = "--runs", defaultValue = "7", description = "timed rounds; figures are medians (default ${DEFAULT-VALUE})")
    int runs;

    @Option(names = "--warm-up", defaultValue = "3", description = "untimed rounds first (default ${DEFAULT-VALUE})")
    int warmUp;

    @Override
    protected int run() throws Exception {
        int threads = CpuEngine.threads();
        try (LanguageModel java = LanguageModel.load(model, LoadOptions.builder().cpuEngine(CpuEngine.JAVA).build());
             LanguageModel torch = LanguageModel.load(model,
                     LoadOptions.builder().cpuEngine(CpuEngine.LIBTORCH).build())) {
            torch.compute(() -> {
                JniUtils.setNumThreads(threads);
                return null;
            });
            java.compute(() -> {
                JniUtils.setNumThreads(threads);
                return null;
            });
            ModelConfig c = java.config();
            System.out.printf("prompt processing, %s (%d layers, hidden %d), %d threads for both engines, "
                    + "median of %d rounds after %d warm-up rounds, engines alternating%n", model.getFileName(),
                    c.numLayers(), c.hiddenSize(), threads, runs, warmUp);
            System.out.printf("%8s %14s %14s %12s %12s %8s %10s %10s %8s %12s%n", "tokens", "Java tok/s",
                    "libtorch tok/s", "Java GFLOP/s", "torch GFLOP/s", "ratio", "Java CPU s", "torch CPU s",
                    "CPU ratio", "max |dlogit|");
            for (int n : lengths) {
                long[] prompt = prompt(c, n);
                List<Double> tj = new ArrayList<>();
                List<Double> tt = new ArrayList<>();
                List<Double> cj = new ArrayList<>();
                List<Double> ct = new ArrayList<>();
                float maxDiff = 0;
                for (int r = -warmUp; r < runs; r++) {
                    boolean javaFirst = (r & 1) == 0;
                    float[][] logits = new float[2][];
                    for (int k = 0; k < 2; k++) {
                        boolean isJava = javaFirst == (k == 0);
                        long c0 = processCpuNanos();
                        long t0 = System.nanoTime();
                        float[] l = promptPass(isJava ? java : torch, prompt);
                        double s = (System.nanoTime() - t0) / 1e9;
                        double cpu = (processCpuNanos() - c0) / 1e9;
                        logits[isJava ? 0 : 1] = l;
                        if (r >= 0) {
                            (isJava ? tj : tt).add(s);
                            (isJava ? cj : ct).add(cpu);
                        }
                    }
                    for (int i = 0; i < logits[0].length; i++) {
                        maxDiff = Math.max(maxDiff, Math.abs(logits[0][i] - logits[1][i]));
                    }
                }
                double sj = median(tj);
                double st = median(tt);
                double gflop = flops(c, n) / 1e9;
                double pj = median(cj);
                double pt = median(ct);
                System.out.printf("%8d %14.1f %14.1f %12.1f %12.1f %7.2fx %10.3f %10.3f %8.2fx %12.2e%n", n, n / sj,
                        n / st, gflop / sj, gflop / st, st / sj, pj, pt, pt / pj, maxDiff);
            }
        }
        return 0;
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** One prompt pass into a fresh cache; the last position's logits. */
    private static float[] promptPass(LanguageModel lm, long[] prompt) {
        try (NDManager m = lm.newCallManager(); KvCache cache = lm.newCache(m, 1, prompt.length + 1)) {
            ForwardInput in = ForwardInput.leftPadded(m, List.of(prompt), lm.padTokenId(), new int[] {prompt.length});
            NDArray logits = lm.forward(in, cache, HookSet.NONE, LogitsMode.LAST);
            return logits.toFloatArray();
        }
    }

    /** Multiply-adds of a prompt pass, counted twice: the weight products, attention, and the last row's head. */
    static double flops(ModelConfig c, int n) {
        long d = c.hiddenSize();
        long q = (long) c.numHeads() * c.headDim();
        long kv = (long) c.numKvHeads() * c.headDim();
        long inner = c.intermediateSize();
        boolean gated = !c.modelType().equals("gpt2") && !c.modelType().equals("gpt_neox");
        long perLayer = d * (q + 2 * kv) + q * d + d * inner * (gated ? 2 : 1) + inner * d;
        double attention = 2.0 * q * ((double) n * (n + 1) / 2); // scores and weighted values, causal
        return 2.0 * (c.numLayers() * (n * (double) perLayer + attention) + d * (double) c.vocabSize());
    }

    private static long[] prompt(ModelConfig c, int n) {
        SplittableRandom r = new SplittableRandom(1234);
        long[] ids = new long[n];
        for (int i = 0; i < n; i++) {
            ids[i] = r.nextInt(Math.min(c.vocabSize(), 50000));
        }
        return ids;
    }

    private static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        int k = s.size();
        return k % 2 == 1 ? s.get(k / 2) : (s.get(k / 2 - 1) + s.get(k / 2)) / 2;
    }
}
