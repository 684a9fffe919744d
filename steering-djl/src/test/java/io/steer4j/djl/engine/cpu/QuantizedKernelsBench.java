package io.steer4j.djl.engine.cpu;

import io.steer4j.core.format.gguf.GgmlType;
import io.steer4j.core.format.gguf.HalfFloats;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A standalone benchmark (not a test) of {@link QuantizedKernels} on the weight-bound part of one decode step of
 * the GPT-2-small shape: 12 blocks of qkv {@code [2304, 768]}, attention output {@code [768, 768]}, MLP up
 * {@code [3072, 768]} and down {@code [768, 3072]}, and the head {@code [50257, 768]}, one token (matrix-vector
 * products), with the weights as float32, bfloat16, float16 and Q8_0 side by side in interleaved rounds. It prints
 * the weight bytes streamed per second and the decode steps per second those products alone would allow.
 *
 * <p>The float32 column runs a loop of the same structure as the others (four rows sharing each load of
 * {@code x}), so the columns compare weight formats, not loop designs.
 *
 * <pre>
 * mvn -B -ntp -o -q -pl steering-djl -am test-compile
 * java --add-modules jdk.incubator.vector -Xmx3g -cp "steering-djl/target/test-classes:steering-djl/target/classes:\
 * steering-core/target/classes" io.steer4j.djl.engine.cpu.QuantizedKernelsBench [threads=2] [rounds=3] [steps=20]
 * </pre>
 */
public final class QuantizedKernelsBench {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /** One weight matrix in every format. */
    private static final class Matrix {
        final int out;
        final int in;
        final float[][] f32;
        final int[][] bf16;
        final int[][] f16;
        final byte[][] q;
        final float[][] d;

        Matrix(int out, int in, SplittableRandom rnd) {
            this.out = out;
            this.in = in;
            f32 = new float[out][in];
            bf16 = new int[out][];
            f16 = new int[out][];
            q = new byte[out][in];
            d = new float[out][in / 32];
            short[] hb = new short[in];
            short[] hf = new short[in];
            for (int r = 0; r < out; r++) {
                float[] row = f32[r];
                for (int k = 0; k < in; k++) {
                    row[k] = (float) ((rnd.nextDouble() - 0.5) * 0.1);
                    hb[k] = HalfFloats.toBfloat16(row[k]);
                    hf[k] = HalfFloats.toFloat16(row[k]);
                }
                bf16[r] = QuantizedKernels.pack(hb);
                f16[r] = QuantizedKernels.pack(hf);
                QuantizedKernels.unpackQ8(GgmlType.Q8_0.encode(row), 0, in, q[r], d[r]);
            }
        }
    }

    private enum Format {
        F32(4.0), BF16(2.0), F16(2.0), Q8_0(34.0 / 32);

        final double bytesPerWeight;

        Format(double bytesPerWeight) {
            this.bytesPerWeight = bytesPerWeight;
        }
    }

    /** Two (or more) threads that run parts of one product and spin between products, as the engine's team does. */
    private static final class Team {
        private final int size;
        private volatile Runnable[] parts;
        private final AtomicInteger generation = new AtomicInteger();
        private final AtomicInteger done = new AtomicInteger();

        Team(int size) {
            this.size = size;
            for (int t = 1; t < size; t++) {
                int id = t;
                Thread w = new Thread(() -> {
                    int seen = 0;
                    while (true) {
                        int g;
                        while ((g = generation.get()) == seen) {
                            Thread.onSpinWait();
                        }
                        seen = g;
                        parts[id].run();
                        done.incrementAndGet();
                    }
                }, "bench-" + t);
                w.setDaemon(true);
                w.start();
            }
        }

        void run(Runnable[] p) {
            parts = p;
            done.set(0);
            generation.incrementAndGet();
            p[0].run();
            while (done.get() < size - 1) {
                Thread.onSpinWait();
            }
        }
    }

    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        int steps = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        int d = 768;
        SplittableRandom rnd = new SplittableRandom(28);
        List<Matrix> ms = new ArrayList<>();
        for (int l = 0; l < 12; l++) {
            ms.add(new Matrix(3 * d, d, rnd));
            ms.add(new Matrix(d, d, rnd));
            ms.add(new Matrix(4 * d, d, rnd));
            ms.add(new Matrix(d, 4 * d, rnd));
        }
        ms.add(new Matrix(50257, d, rnd));
        long weights = 0;
        for (Matrix m : ms) {
            weights += (long) m.out * m.in;
        }
        Team team = new Team(threads);
        float[] x = new float[4 * d];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        float[] y = new float[50257];
        System.out.printf("GPT-2-small shape, one decode step's products (%.1f M weights), %d threads, vector %d "
                        + "lanes, Java %s, %s%n", weights / 1e6, threads, S.length(), System.getProperty("java.version"),
                cpu());
        // Small calls first, so that C2 compiles every kernel with a complete profile (see QuantizedKernels.warmUp).
        QuantizedKernels.warmUp();
        float[][] small = new float[8][96];
        for (int i = 0; i < 12_000; i++) {
            f32Rows(x, 96, small, y, 0, 8);
            f32Rows(x, 80, small, y, 0, 7);
        }
        for (Format f : Format.values()) {
            for (int i = 0; i < 3; i++) {
                step(f, ms, x, y, team, threads);
            }
        }
        double[][] seconds = new double[Format.values().length][rounds];
        for (int round = 0; round < rounds; round++) {
            for (Format f : Format.values()) {
                long t0 = System.nanoTime();
                for (int s = 0; s < steps; s++) {
                    step(f, ms, x, y, team, threads);
                }
                seconds[f.ordinal()][round] = (System.nanoTime() - t0) / 1e9 / steps;
            }
        }
        System.out.printf("%-6s %10s %12s %14s %10s%n", "format", "bytes/w", "GB/s", "steps/s", "vs f32");
        double f32 = median(seconds[0]);
        for (Format f : Format.values()) {
            double s = median(seconds[f.ordinal()]);
            System.out.printf("%-6s %10.4f %12.1f %14.1f %9.2fx%n", f, f.bytesPerWeight,
                    weights * f.bytesPerWeight / s / 1e9, 1 / s, f32 / s);
        }
        System.out.println("(median of " + rounds + " interleaved rounds of " + steps + " steps each; load average "
                + String.format("%.1f", java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                .getSystemLoadAverage()) + " on " + Runtime.getRuntime().availableProcessors() + " CPUs)");
    }

    private static double median(double[] a) {
        double[] c = a.clone();
        java.util.Arrays.sort(c);
        return c[c.length / 2];
    }

    private static String cpu() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            // the CPU's name is only printed
        }
        return System.getProperty("os.arch");
    }

    private static void step(Format f, List<Matrix> ms, float[] x, float[] y, Team team, int threads) {
        for (Matrix m : ms) {
            float[] even = new float[m.in / 2];
            float[] odd = new float[m.in / 2];
            if (f == Format.BF16 || f == Format.F16) {
                QuantizedKernels.deinterleave(x, m.in, even, odd);
            }
            Runnable[] parts = new Runnable[threads];
            int blocks = (m.out + 3) / 4;
            for (int t = 0; t < threads; t++) {
                int r0 = Math.min(m.out, blocks * t / threads * 4);
                int r1 = t == threads - 1 ? m.out : Math.min(m.out, blocks * (t + 1) / threads * 4);
                parts[t] = switch (f) {
                    case F32 -> () -> f32Rows(x, m.in, m.f32, y, r0, r1);
                    case BF16 -> () -> QuantizedKernels.matvecBf16(even, odd, m.in, m.bf16, null, y, r0, r1);
                    case F16 -> () -> QuantizedKernels.matvecF16(even, odd, m.in, m.f16, null, y, r0, r1);
                    case Q8_0 -> () -> QuantizedKernels.matvecQ8(x, m.in, m.q, m.d, null, y, r0, r1);
                };
            }
            team.run(parts);
        }
    }

    /** float32 rows, four at a time sharing each load of {@code x}, as the 16-bit and Q8_0 kernels do. */
    private static void f32Rows(float[] x, int in, float[][] w, float[] y, int r0, int r1) {
        int r = r0;
        int l = S.length();
        for (; r + 4 <= r1; r += 4) {
            float[] w0 = w[r];
            float[] w1 = w[r + 1];
            float[] w2 = w[r + 2];
            float[] w3 = w[r + 3];
            FloatVector a0 = FloatVector.zero(S);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            int bound = S.loopBound(in);
            for (int i = 0; i < bound; i += l) {
                FloatVector xv = FloatVector.fromArray(S, x, i);
                a0 = FloatVector.fromArray(S, w0, i).fma(xv, a0);
                a1 = FloatVector.fromArray(S, w1, i).fma(xv, a1);
                a2 = FloatVector.fromArray(S, w2, i).fma(xv, a2);
                a3 = FloatVector.fromArray(S, w3, i).fma(xv, a3);
            }
            y[r] = a0.reduceLanes(VectorOperators.ADD);
            y[r + 1] = a1.reduceLanes(VectorOperators.ADD);
            y[r + 2] = a2.reduceLanes(VectorOperators.ADD);
            y[r + 3] = a3.reduceLanes(VectorOperators.ADD);
        }
        for (; r < r1; r++) {
            float s = 0;
            for (int i = 0; i < in; i++) {
                s += w[r][i] * x[i];
            }
            y[r] = s;
        }
    }
}
