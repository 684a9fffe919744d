package io.steer4j.djl.model;

import ai.djl.ndarray.NDManager;
import io.steer4j.core.format.safetensors.SafetensorsDtype;
import io.steer4j.djl.hooks.HookSet;
import io.steer4j.fixtures.GptShape;
import io.steer4j.fixtures.TinyCheckpoints;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Java CPU engine's decode speed and weight heap on one checkpoint stored as F32, BF16 and F16 (GPT-2-small's
 * shape, random weights, written once under {@code DIR}), all loaded in one JVM and decoded in interleaved rounds
 * (order rotated each round), so shared load hits every format alike. Prints the bytes each engine copy holds
 * ({@code CpuWeights.bytes}) and, per round, each format's decode tokens/s over {@code STEPS} greedy steps after a
 * 16-token prompt, and its tokens/s for a 128-token prompt pass (16-bit rows widened a block at a time); then the
 * medians.
 *
 * <pre>
 * mvn -B -ntp -o -q -pl steering-djl -am test-compile dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt -Dmdep.includeScope=test
 * java --add-modules jdk.incubator.vector -Xmx4g -cp "steering-djl/target/test-classes:steering-djl/target/classes:$(cat /tmp/cp.txt)" \
 *     io.steer4j.djl.model.SixteenBitDecodeBench DIR [rounds=3] [steps=32]
 * </pre>
 */
public final class SixteenBitDecodeBench {
    private SixteenBitDecodeBench() {
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]);
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        int steps = args.length > 2 ? Integer.parseInt(args[2]) : 32;
        Map<SafetensorsDtype, LanguageModel> models = new LinkedHashMap<>();
        for (SafetensorsDtype d : List.of(SafetensorsDtype.F32, SafetensorsDtype.BF16, SafetensorsDtype.F16)) {
            Path dir = root.resolve("gpt2-small-random-" + d);
            if (!Files.isRegularFile(dir.resolve("model.safetensors"))) {
                TinyCheckpoints.gpt2Like(dir, GptShape.GPT2_SMALL, TinyCheckpoints.DEFAULT_SEED, d);
            }
            LanguageModel m = LanguageModel.load(dir, LoadOptions.builder().cpuEngine(CpuEngine.JAVA).build());
            models.put(d, m);
            System.out.printf("%s: engine copy of the weights %.1f MB (file %.1f MB)%n", d,
                    m.javaEngineWeightBytes() / 1e6, Files.size(dir.resolve("model.safetensors")) / 1e6);
        }
        long[] prompt = new long[16];
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = (i * 7919L + 13) % 50000;
        }
        for (LanguageModel m : models.values()) { // untimed: compiles the kernels
            decode(m, prompt, steps);
        }
        long[] longPrompt = new long[128];
        for (int i = 0; i < longPrompt.length; i++) {
            longPrompt[i] = (i * 104729L + 7) % 50000;
        }
        for (LanguageModel m : models.values()) {
            prompt(m, longPrompt);
        }
        Map<SafetensorsDtype, List<Double>> rates = new LinkedHashMap<>();
        Map<SafetensorsDtype, List<Double>> promptRates = new LinkedHashMap<>();
        List<SafetensorsDtype> order = new ArrayList<>(models.keySet());
        for (int r = 0; r < rounds; r++) {
            StringBuilder line = new StringBuilder("round " + r + " (load " + String.format("%.1f",
                    ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()) + "):");
            for (SafetensorsDtype d : order) {
                double tps = decode(models.get(d), prompt, steps);
                rates.computeIfAbsent(d, k -> new ArrayList<>()).add(tps);
                double pps = prompt(models.get(d), longPrompt);
                promptRates.computeIfAbsent(d, k -> new ArrayList<>()).add(pps);
                line.append(String.format(" %s decode %.1f tok/s, prompt %.0f tok/s;", d, tps, pps));
            }
            System.out.println(line);
            order.add(order.remove(0));
        }
        double f32 = median(rates.get(SafetensorsDtype.F32));
        double f32p = median(promptRates.get(SafetensorsDtype.F32));
        for (Map.Entry<SafetensorsDtype, List<Double>> e : rates.entrySet()) {
            double m = median(e.getValue());
            double p = median(promptRates.get(e.getKey()));
            System.out.printf("median %s: decode %.1f tok/s (%.2fx F32), 128-token prompt %.0f tok/s (%.2fx F32)%n",
                    e.getKey(), m, m / f32, p, p / f32p);
        }
        models.values().forEach(LanguageModel::close);
    }

    /** Tokens/s of one prompt pass of {@code prompt} into an empty cache. */
    private static double prompt(LanguageModel m, long[] prompt) {
        try (NDManager call = m.newCallManager()) {
            KvCache cache = m.newCache(call, 1, prompt.length);
            cache.preferHostLogits();
            long t0 = System.nanoTime();
            m.forward(ForwardInput.leftPadded(call, List.of(prompt), 0, new int[] {prompt.length}), cache,
                    HookSet.NONE, LogitsMode.LAST);
            double s = (System.nanoTime() - t0) / 1e9;
            cache.takeHostLogits();
            return prompt.length / s;
        }
    }

    /** Decode tokens/s of {@code steps} greedy steps after a prompt pass (not timed). */
    private static double decode(LanguageModel m, long[] prompt, int steps) {
        try (NDManager call = m.newCallManager()) {
            KvCache cache = m.newCache(call, 1, prompt.length + steps + 1);
            cache.preferHostLogits();
            int[] lengths = {prompt.length};
            m.forward(ForwardInput.leftPadded(call, List.of(prompt), 0, lengths), cache, HookSet.NONE, LogitsMode.LAST);
            float[] logits = cache.takeHostLogits();
            long t0 = System.nanoTime();
            for (int i = 0; i < steps; i++) {
                long next = argmax(logits);
                m.forward(ForwardInput.step(call, new long[] {next}, lengths), cache, HookSet.NONE, LogitsMode.LAST);
                logits = cache.takeHostLogits();
            }
            return steps / ((System.nanoTime() - t0) / 1e9);
        }
    }

    private static int argmax(float[] f) {
        int best = 0;
        for (int k = 1; k < f.length; k++) {
            if (f[k] > f[best]) {
                best = k;
            }
        }
        return best;
    }

    private static double median(List<Double> v) {
        double[] a = v.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(a);
        return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
    }
}
