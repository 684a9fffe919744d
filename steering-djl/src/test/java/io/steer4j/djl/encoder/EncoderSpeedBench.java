package io.steer4j.djl.encoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.steer4j.djl.RealModels;
import io.steer4j.djl.hooks.HookSet;
import io.steer4j.djl.model.EncoderModel;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Bench (not a test): sentence embeddings of all-MiniLM-L6-v2, batch 32 x 64 tokens, steer4j's BERT forward
 * (libtorch) against ONNX Runtime on the original ONNX file (what langchain4j's embedding model runs), both with
 * the same number of intra-op threads, ids in and mean-pooled, normalised embeddings out. Runs alternate so that
 * load on a shared machine hits both sides. Prints the median time per batch and the ratio ONNX / steer4j
 * (above 1.0: steer4j is faster).
 *
 * <pre>
 * steering-djl/bench/encoder-speed.sh [ROUNDS]        # threads: -Dai.djl.pytorch.num_threads=N via JAVA_OPTS
 * </pre>
 */
public final class EncoderSpeedBench {
    private static final int BATCH = 32;
    private static final int TOKENS = 64;

    private EncoderSpeedBench() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 15;
        // libtorch's intra-op threads are set from this property by DJL before the engine starts
        int threads = Integer.getInteger("ai.djl.pytorch.num_threads", Runtime.getRuntime().availableProcessors());
        // -Dbench.engine=steer4j or onnx: time one engine only, so that a script can run each in a fresh process
        // (no second engine's threads in the process); default both, alternating
        String engine = System.getProperty("bench.engine", "both");
        if (!List.of("both", "steer4j", "onnx").contains(engine)) {
            throw new IllegalArgumentException("bench.engine must be both, steer4j or onnx, got " + engine);
        }
        boolean runOurs = !engine.equals("onnx");
        boolean runOnnx = !engine.equals("steer4j");
        try (EncoderModel model = EncoderModel.load(RealModels.find("all-minilm-l6-v2").orElseThrow(() ->
                new IllegalStateException("../shared/models/all-minilm-l6-v2 not found")));
             OnnxMiniLm onnx = runOnnx ? new OnnxMiniLm(threads) : null) {
            List<long[]> rows = rows(model);
            int d = model.hiddenSize();
            double maxDiff = Double.NaN;
            if (runOurs && runOnnx) {
                float[][] ours = embedOurs(model, rows);
                float[][] theirs = embedOnnx(onnx, rows, d);
                maxDiff = 0;
                for (int r = 0; r < BATCH; r++) {
                    for (int k = 0; k < d; k++) {
                        maxDiff = Math.max(maxDiff, Math.abs(ours[r][k] - theirs[r][k]));
                    }
                }
            }
            for (int i = 0; i < 3; i++) {
                if (runOurs) {
                    embedOurs(model, rows);
                }
                if (runOnnx) {
                    embedOnnx(onnx, rows, d);
                }
            }
            double[] a = new double[rounds];
            double[] b = new double[rounds];
            // -Dbench.blocks=true: all steer4j rounds, then all ONNX rounds, so that neither engine's idle workers
            // (ONNX Runtime's spin after each run, libtorch's OpenMP team) compete with the other's next run
            boolean blocks = Boolean.getBoolean("bench.blocks");
            // process CPU time over the timed runs: with one engine per process it shows how many cores the engine
            // kept busy (spinning threads count as busy) per batch
            long cpu0 = processCpuNanos();
            long wall0 = System.nanoTime();
            for (int i = 0; runOurs && i < rounds; i++) {
                long t0 = System.nanoTime();
                embedOurs(model, rows);
                a[i] = (System.nanoTime() - t0) / 1e6;
                if (!blocks && runOnnx) {
                    long t1 = System.nanoTime();
                    embedOnnx(onnx, rows, d);
                    b[i] = (System.nanoTime() - t1) / 1e6;
                }
            }
            for (int i = 0; runOnnx && (blocks || !runOurs) && i < rounds; i++) {
                long t1 = System.nanoTime();
                embedOnnx(onnx, rows, d);
                b[i] = (System.nanoTime() - t1) / 1e6;
            }
            double cpuPerWall = (processCpuNanos() - cpu0) / (double) (System.nanoTime() - wall0);
            System.out.printf("all-MiniLM-L6-v2 sentence embeddings, batch %d x %d tokens, %d threads each, %d rounds"
                    + " (%s; OMP_WAIT_POLICY=%s)%n", BATCH, TOKENS, threads, rounds,
                    !(runOurs && runOnnx) ? engine + " alone" : blocks ? "in blocks" : "alternating",
                    System.getenv("OMP_WAIT_POLICY"));
            if (runOurs) {
                double ms = median(a);
                System.out.printf("steer4j (libtorch, BERT forward + mean pooling + L2): median %.1f ms/batch (%.0f"
                        + " sentences/s)%n", ms, BATCH * 1000 / ms);
            }
            if (runOnnx) {
                double ort = median(b);
                System.out.printf("ONNX Runtime 1.20.0 (original ONNX file, same pooling):    median %.1f ms/batch"
                        + " (%.0f sentences/s)%n", ort, BATCH * 1000 / ort);
            }
            System.out.printf("process CPU time / wall time over the timed runs: %.2f cores (load average %.1f)%n",
                    cpuPerWall, java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                            .getSystemLoadAverage());
            if (runOurs && runOnnx) {
                System.out.printf("ratio ONNX/steer4j time: %.2fx (>= 1.0 means steer4j is as fast or faster);"
                        + " max |embedding diff| %.1e%n", median(b) / median(a), maxDiff);
            }
        }
    }

    /** 32 rows of exactly 64 tokens: [CLS], 62 word pieces of a long text at different offsets, [SEP]. */
    private static List<long[]> rows(EncoderModel model) {
        String text = String.join(" ", MiniLmParityTest.SENTENCES);
        long[] body = model.tokenizer().encode(text, false);
        long[] pre = model.tokenizer().specialPrefix();
        long[] post = model.tokenizer().specialSuffix();
        List<long[]> rows = new ArrayList<>();
        for (int r = 0; r < BATCH; r++) {
            long[] row = new long[TOKENS];
            System.arraycopy(pre, 0, row, 0, pre.length);
            int n = TOKENS - pre.length - post.length;
            for (int i = 0; i < n; i++) {
                row[pre.length + i] = body[(r * 7 + i) % body.length];
            }
            System.arraycopy(post, 0, row, TOKENS - post.length, post.length);
            rows.add(row);
        }
        return rows;
    }

    private static float[][] embedOurs(EncoderModel model, List<long[]> rows) {
        try (NDManager m = model.newCallManager()) {
            float[] flat = model.compute(() -> {
                NDArray h = model.forward(m, rows, HookSet.NONE);
                NDArray mean = h.mean(new int[] {1});
                return mean.div(mean.norm(new int[] {1}, true).maximum(1e-12f)).toFloatArray();
            });
            int d = model.hiddenSize();
            float[][] out = new float[rows.size()][];
            for (int r = 0; r < out.length; r++) {
                out[r] = Arrays.copyOfRange(flat, r * d, (r + 1) * d);
            }
            return out;
        }
    }

    private static float[][] embedOnnx(OnnxMiniLm onnx, List<long[]> rows, int d) throws Exception {
        float[][][] h = onnx.lastHiddenState(rows);
        float[][] out = new float[rows.size()][d];
        for (int r = 0; r < out.length; r++) {
            double norm = 0;
            for (int k = 0; k < d; k++) {
                float s = 0;
                for (float[] tok : h[r]) {
                    s += tok[k];
                }
                out[r][k] = s / h[r].length;
                norm += (double) out[r][k] * out[r][k];
            }
            for (int k = 0; k < d; k++) {
                out[r][k] /= (float) Math.max(Math.sqrt(norm), 1e-12);
            }
        }
        return out;
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
