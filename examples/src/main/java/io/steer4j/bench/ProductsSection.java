package io.steer4j.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.pytorch.jni.JniUtils;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.model.ModelConfig;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The weight-product variants of {@code steer4j bench --sections products}: one batch-1 decode's worth of
 * products with the model's weight shapes (every layer's attention and MLP matrices once, plus the head), run
 * through libtorch in several ways, each timed in interleaved rounds on the engine thread and reported in ms per
 * pass and GB/s of weights read.
 *
 * <p>The matrices have the loaded model's shapes but fresh random float32 values (the model's own arrays are not
 * public, and the values do not change the time of a dense product). Each layout is its own contiguous copy,
 * made once before timing and freed after. The variants are:
 * <ul>
 *   <li>{@code linear [out,in]}: {@code linear(x[1,in], W[out,in])}, {@code x @ W^T} (the layout of nn.Linear
 *       checkpoints, and of GPT-2's tied head);</li>
 *   <li>{@code project path}: what {@code BlockTransformer} does for GPT-2: {@code linear(x[1,in], Wc^T, b)} with
 *       {@code Wc} the Conv1D {@code [in,out]} array passed as a transposed view and the bias fused, and the tied
 *       head as {@code linear(x, E[vocab,hidden])};</li>
 *   <li>{@code project, head [in,out]}: the same with the head from an {@code [hidden,vocab]} copy, {@code x @ E^T}
 *       as a plain product (which would cost the head's size again in memory, the head being tied);</li>
 *   <li>{@code mm [in,out]}: {@code x[1,in] @ Wc[in,out]} without bias;</li>
 *   <li>{@code mv [out,in]}: {@code W[out,in] @ x[in]} (libtorch's matrix-vector product, rows contiguous);</li>
 *   <li>{@code mv [in,out]^T}: {@code Wc^T @ x[in]}, the matrix-vector product on the transposed view.</li>
 * </ul>
 * Each runs with libtorch's intra-op threads at 1 and at 2 ({@link JniUtils#setNumThreads}, which libtorch
 * applies to the calling thread's next OpenMP team, so it can change between rounds). OpenMP's wait policy can
 * only be set per process ({@code OMP_WAIT_POLICY}); the report names the environment it ran in.
 */
final class ProductsSection {
    /** Timed passes of each variant per round, after one untimed pass. */
    static final int PASSES_PER_ROUND = 3;

    /** Intra-op thread counts every variant runs with. */
    static final int[] THREADS = {1, 2};

    /** One matrix of the decode step, with its logical shape {@code [out, in]}. */
    record Matrix(String name, long out, long in, boolean hasBias) {
        long bytes() {
            return out * in * 4;
        }
    }

    /** The arrays of one matrix: contiguous {@code [out,in]} and {@code [in,out]} copies, bias, inputs. */
    private record Arrays2(Matrix m, NDArray outIn, NDArray inOut, NDArray inOutView, NDArray bias, NDArray xRow,
                           NDArray xVec) {
    }

    /** How one variant multiplies one matrix by the token. */
    private interface Product {
        NDArray apply(Arrays2 a);
    }

    private record Variant(String name, Product product) {
    }

    private static final List<Variant> VARIANTS = List.of(
            new Variant("linear [out,in]", a -> Linear.linear(a.xRow(), a.outIn(), null).singletonOrThrow()),
            new Variant("project path", a -> a.m().name().equals("head")
                    ? Linear.linear(a.xRow(), a.outIn(), null).singletonOrThrow()
                    : Linear.linear(a.xRow(), a.inOutView(), a.bias()).singletonOrThrow()),
            new Variant("project, head [in,out]", a -> a.m().name().equals("head")
                    ? a.xRow().matMul(a.inOut())
                    : Linear.linear(a.xRow(), a.inOutView(), a.bias()).singletonOrThrow()),
            new Variant("mm [in,out]", a -> a.xRow().matMul(a.inOut())),
            new Variant("mv [out,in]", a -> a.outIn().matMul(a.xVec())),
            new Variant("mv [in,out]^T", a -> a.inOutView().matMul(a.xVec())));

    private final LanguageModel lm;
    private final int rounds;

    ProductsSection(LanguageModel lm, int rounds) {
        this.lm = lm;
        this.rounds = Math.max(1, rounds);
    }

    /** The matrices one batch-1 decode step reads, in order: each layer's four (or five, gated) and the head. */
    static List<Matrix> matrices(ModelConfig c) {
        long d = c.hiddenSize();
        long inner = c.intermediateSize();
        long q = (long) c.numHeads() * c.headDim();
        long kv = (long) c.numKvHeads() * c.headDim();
        boolean gated = !c.modelType().equals("gpt2") && !c.modelType().equals("gpt_neox");
        List<Matrix> list = new ArrayList<>();
        for (int l = 0; l < c.numLayers(); l++) {
            list.add(new Matrix("qkv", q + 2 * kv, d, c.qkvBias()));
            list.add(new Matrix("attn out", d, q, c.outputBias()));
            list.add(new Matrix("mlp up", gated ? 2 * inner : inner, d, c.mlpBias()));
            list.add(new Matrix("mlp down", d, inner, c.mlpBias()));
        }
        list.add(new Matrix("head", c.vocabSize(), d, false));
        return list;
    }

    /** Runs the variants and returns their figures for the JSON report. */
    Map<String, Object> run() {
        List<Matrix> ms = matrices(lm.config());
        long bytes = ms.stream().mapToLong(Matrix::bytes).sum();
        String wait = String.valueOf(System.getenv("OMP_WAIT_POLICY"));
        String ompThreads = String.valueOf(System.getenv("OMP_NUM_THREADS"));
        System.out.printf("%nproducts: one batch-1 decode's weight products (%d matrices, %.1f MB float32), libtorch on "
                + "the engine thread, %d interleaved rounds x %d passes%n", ms.size(), bytes / 1e6, rounds,
                PASSES_PER_ROUND);
        System.out.printf("  environment: OMP_WAIT_POLICY=%s OMP_NUM_THREADS=%s%n", wait, ompThreads);
        Map<String, List<Double>> ms1 = lm.compute(() -> time(ms));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("matrices", ms.size());
        out.put("weight_bytes_per_pass", bytes);
        out.put("rounds", rounds);
        out.put("passes_per_round", PASSES_PER_ROUND);
        out.put("omp_wait_policy", wait);
        out.put("omp_num_threads", ompThreads);
        Map<String, Object> variants = new LinkedHashMap<>();
        double best = Double.MAX_VALUE;
        String bestName = null;
        System.out.printf("  %-32s %10s %9s%n", "variant (threads)", "ms/pass", "GB/s");
        for (Map.Entry<String, List<Double>> e : ms1.entrySet()) {
            double med = Medians.median(e.getValue());
            double gbs = bytes / (med / 1000) / 1e9;
            System.out.printf("  %-32s %10.3f %9.2f%n", e.getKey(), med, gbs);
            variants.put(e.getKey(), Map.of("ms_per_pass", med, "gb_per_s", gbs,
                    "min_ms", e.getValue().stream().mapToDouble(Double::doubleValue).min().orElse(0)));
            if (med < best) {
                best = med;
                bestName = e.getKey();
            }
        }
        System.out.printf("  fastest: %s%n", bestName);
        out.put("variants", variants);
        out.put("fastest", bestName);
        return out;
    }

    /** On the engine thread: makes the arrays, times every variant at every thread count, frees the arrays. */
    private Map<String, List<Double>> time(List<Matrix> ms) {
        int before = JniUtils.getNumThreads();
        Map<String, List<Double>> samples = new LinkedHashMap<>();
        try (NDManager m = lm.newCallManager()) {
            Map<Long, NDArray> rows = new LinkedHashMap<>();
            Map<Long, NDArray> vecs = new LinkedHashMap<>();
            List<Arrays2> arrays = new ArrayList<>();
            for (Matrix mx : ms) {
                NDArray xRow = rows.computeIfAbsent(mx.in(), n -> m.randomNormal(new Shape(1, n)));
                NDArray xVec = vecs.computeIfAbsent(mx.in(), n -> m.randomNormal(new Shape(n)));
                NDArray outIn = m.randomNormal(0, 0.02f, new Shape(mx.out(), mx.in()), DataType.FLOAT32);
                NDArray inOut = m.randomNormal(0, 0.02f, new Shape(mx.in(), mx.out()), DataType.FLOAT32);
                NDArray bias = mx.hasBias() ? m.zeros(new Shape(mx.out())) : null;
                arrays.add(new Arrays2(mx, outIn, inOut, inOut.transpose(), bias, xRow, xVec));
            }
            for (int t : THREADS) {
                for (Variant v : VARIANTS) {
                    samples.put(v.name() + " (" + t + ")", new ArrayList<>());
                }
            }
            for (int r = -1; r < rounds; r++) { // round -1 warms every variant and is not recorded
                for (int t : THREADS) {
                    JniUtils.setNumThreads(t);
                    pass(arrays, VARIANTS.get(0)); // the first team of this size is not timed
                    for (Variant v : VARIANTS) {
                        pass(arrays, v);
                        for (int p = 0; p < PASSES_PER_ROUND; p++) {
                            long t0 = System.nanoTime();
                            pass(arrays, v);
                            double msPass = (System.nanoTime() - t0) / 1e6;
                            if (r >= 0) {
                                samples.get(v.name() + " (" + t + ")").add(msPass);
                            }
                        }
                    }
                }
            }
        } finally {
            JniUtils.setNumThreads(before);
        }
        return samples;
    }

    private static void pass(List<Arrays2> arrays, Variant v) {
        for (Arrays2 a : arrays) {
            NDArray y = v.product().apply(a);
            y.close();
        }
    }
}
