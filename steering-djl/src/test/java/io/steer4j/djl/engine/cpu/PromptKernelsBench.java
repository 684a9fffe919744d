package io.steer4j.djl.engine.cpu;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A standalone benchmark (not a test) of the float32 products of short prompts, one thread, GPT-2 small's four
 * products ({@code [2304, 768]}, {@code [768, 768]}, {@code [3072, 768]}, {@code [768, 3072]}) at several token
 * counts: the prompt kernel ({@link SimdKernels#matmulPanels}, packing included) with eight-row tiles only and with
 * sixteen-row tiles for one-panel prompts, and the dot-product tiles of {@link SimdKernels#matmulRows}, which is
 * where {@link SimdKernels#PANEL_MIN_TOKENS} comes from. All run in
 * interleaved rounds in one JVM, so shared load hits them alike; it prints each one's median GFLOP/s of thread CPU
 * time.
 *
 * <pre>
 * mvn -B -ntp -o -q -pl steering-djl -am test-compile
 * java --add-modules jdk.incubator.vector -cp "steering-djl/target/test-classes:steering-djl/target/classes" \
 *     io.steer4j.djl.engine.cpu.PromptKernelsBench [rounds=7] [tokens=8,12,16,24,32]
 * </pre>
 */
public final class PromptKernelsBench {
    private static final int[][] SHAPES = {{2304, 768}, {768, 768}, {3072, 768}, {768, 3072}};
    private static final java.lang.management.ThreadMXBean CPU =
            java.lang.management.ManagementFactory.getThreadMXBean();
    private static final String[] KERNELS = {"panels 8-row tiles", "panels 16-row tiles", "rows"};

    private PromptKernelsBench() {
    }

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        int[] tokens = args.length > 1 ? Arrays.stream(args[1].split(",")).mapToInt(Integer::parseInt).toArray()
                : new int[] {8, 12, 16, 24, 32};
        SplittableRandom rnd = new SplittableRandom(1);
        float[][][] w = new float[SHAPES.length][][];
        for (int s = 0; s < SHAPES.length; s++) {
            w[s] = new float[SHAPES[s][0]][SHAPES[s][1]];
            for (float[] row : w[s]) {
                for (int i = 0; i < row.length; i++) {
                    row[i] = (float) (rnd.nextDouble() - 0.5);
                }
            }
        }
        for (int t : tokens) {
            float[] x = new float[t * 3072];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (rnd.nextDouble() - 0.5);
            }
            List<List<Double>> gflops = new ArrayList<>();
            for (int k = 0; k < KERNELS.length; k++) {
                gflops.add(new ArrayList<>());
            }
            for (int r = -2; r < rounds; r++) { // two untimed rounds compile the kernels
                for (int k0 = 0; k0 < KERNELS.length; k0++) {
                    int k = (k0 + Math.max(r, 0)) % KERNELS.length; // the order rotates each round
                    double g = layer(k, x, t, w);
                    if (r >= 0) {
                        gflops.get(k).add(g);
                    }
                }
            }
            StringBuilder line = new StringBuilder(String.format("t=%3d:", t));
            for (int k = 0; k < KERNELS.length; k++) {
                line.append(String.format("  %s %.1f GFLOP/s", KERNELS[k], median(gflops.get(k))));
            }
            System.out.println(line);
        }
    }

    /**
     * GFLOP/s of kernel {@code k} over the four products, each repeated for ~20 ms, per second of this thread's CPU
     * time: on a machine shared with other work, wall time counts the time slices other processes took.
     */
    private static double layer(int k, float[] x, int t, float[][][] w) {
        double flops = 0;
        long ns = 0;
        for (int s = 0; s < SHAPES.length; s++) {
            int out = SHAPES[s][0];
            int in = SHAPES[s][1];
            float[] y = new float[t * out];
            float[] xP = new float[SimdKernels.panels(t) * in * SimdKernels.panelWidth()];
            float[] acc = new float[Math.max(1, SimdKernels.partialSumFloats(t, in, out))];
            int reps = 0;
            long t0 = System.nanoTime();
            long c0 = CPU.getCurrentThreadCpuTime();
            do {
                switch (k) {
                    case 0, 1 -> {
                        SimdKernels.packPanels(x, t, in, xP, 0, SimdKernels.panels(t));
                        SimdKernels.matmulPanels(x, xP, t, in, w[s], null, y, out, 0, out, block(t, in), acc, k == 1);
                    }
                    default -> SimdKernels.matmulRows(x, t, in, w[s], null, y, out, 0, out);
                }
                reps++;
            } while (System.nanoTime() - t0 < 20_000_000L);
            ns += CPU.getCurrentThreadCpuTime() - c0;
            flops += 2.0 * t * out * in * reps;
        }
        return flops / ns;
    }

    /** The input block {@link SimdKernels#matmulPanels} chooses. */
    private static int block(int t, int in) {
        return SimdKernels.partialSumFloats(t, in, 8) == 0 ? in : SimdKernels.INPUT_BLOCK;
    }

    private static double median(List<Double> v) {
        double[] a = v.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(a);
        return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
    }
}
