package io.steer4j.djl.model;

import ai.djl.ndarray.NDManager;
import io.steer4j.djl.hooks.HookSet;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A standalone benchmark (not a test) of the Java CPU engine's one-row passes on one checkpoint: prompt processing
 * at 16 and 512 tokens, decode steps after a 16-token prompt, and the garbage of one generation (a 512-token
 * prompt and 64 decode steps): the collections it triggers and the bytes every thread allocated meanwhile. Run it
 * with {@code -Xlog:gc} to see each collection; an A/B of two builds runs it alternately from two class paths in
 * fresh JVMs, so that shared load hits both alike.
 *
 * <pre>
 * mvn -B -ntp -o -q -pl steering-djl -am test-compile dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt \
 *     -Dmdep.includeScope=test
 * java --add-modules jdk.incubator.vector -Xmn64m -XX:+UseSerialGC -Xlog:gc \
 *     -cp "steering-djl/target/test-classes:steering-djl/target/classes:$(cat /tmp/cp.txt)" \
 *     io.steer4j.djl.model.CpuPassBench MODEL_DIR [rounds=5] [steps=64]
 * </pre>
 */
public final class CpuPassBench {
    private CpuPassBench() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        int steps = args.length > 2 ? Integer.parseInt(args[2]) : 64;
        try (LanguageModel m = LanguageModel.load(dir, LoadOptions.builder().cpuEngine(CpuEngine.JAVA).build())) {
            long[] p16 = tokens(16, 7919L);
            long[] p512 = tokens(512, 104729L);
            for (int i = 0; i < 3; i++) { // untimed: compiles the kernels
                prompt(m, p16);
                prompt(m, p512);
                decode(m, p16, steps);
            }
            List<Double> r16 = new ArrayList<>();
            List<Double> r512 = new ArrayList<>();
            List<Double> dec = new ArrayList<>();
            for (int r = 0; r < rounds; r++) {
                for (int k = 0; k < 20; k++) { // a 16-token pass takes milliseconds: time several
                    r16.add(prompt(m, p16));
                }
                r512.add(prompt(m, p512));
                dec.add(decode(m, p16, steps));
            }
            System.out.printf("prompt 16: %.0f tok/s, prompt 512: %.0f tok/s, decode: %.2f tok/s (medians, "
                    + "load %.1f)%n",
                    median(r16), median(r512), median(dec),
                    ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
            System.out.println("=== one generation: 512-token prompt, " + steps + " decode steps ===");
            long gc0 = collections();
            long a0 = allocatedBytes();
            try (NDManager call = m.newCallManager()) {
                KvCache cache = m.newCache(call, 1, p512.length + steps + 1);
                cache.preferHostLogits();
                int[] lengths = {p512.length};
                m.forward(ForwardInput.leftPadded(call, List.of(p512), 0, lengths), cache, HookSet.NONE,
                        LogitsMode.LAST);
                float[] logits = cache.takeHostLogits();
                long a1 = allocatedBytes();
                long gc1 = collections();
                for (int i = 0; i < steps; i++) {
                    m.forward(ForwardInput.step(call, new long[] {argmax(logits)}, lengths), cache, HookSet.NONE,
                            LogitsMode.LAST);
                    logits = cache.takeHostLogits();
                }
                long a2 = allocatedBytes();
                long gc2 = collections();
                System.out.printf("=== prompt pass: %d collections, %.1f MB allocated; decode: %d collections, "
                        + "%.1f KB allocated per step (all threads) ===%n", gc1 - gc0, (a1 - a0) / 1e6, gc2 - gc1,
                        (a2 - a1) / 1e3 / steps);
            }
        }
    }

    private static long[] tokens(int n, long mult) {
        long[] p = new long[n];
        for (int i = 0; i < n; i++) {
            p[i] = (i * mult + 13) % 50000;
        }
        return p;
    }

    private static long collections() {
        long n = 0;
        for (GarbageCollectorMXBean b : ManagementFactory.getGarbageCollectorMXBeans()) {
            n += b.getCollectionCount();
        }
        return n;
    }

    /** Bytes allocated so far by every live thread (the caller and the worker team). */
    private static long allocatedBytes() {
        com.sun.management.ThreadMXBean t = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (long v : t.getThreadAllocatedBytes(t.getAllThreadIds())) {
            sum += Math.max(0, v);
        }
        return sum;
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
