package io.steer4j.djl.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.steer4j.djl.engine.DecoderSpec;
import io.steer4j.djl.engine.HookRows;
import io.steer4j.djl.engine.cpu.CpuDecoder;
import io.steer4j.djl.engine.cpu.CpuKvCache;
import io.steer4j.djl.engine.cpu.CpuWeights;
import io.steer4j.djl.engine.cpu.Bfloat16Matrix;
import io.steer4j.djl.engine.cpu.Float16Matrix;
import io.steer4j.djl.engine.cpu.Float32Matrix;
import io.steer4j.djl.engine.cpu.Q8Matrix;
import io.steer4j.djl.engine.cpu.WeightMatrix;
import io.steer4j.core.format.gguf.GgmlType;
import io.steer4j.core.format.safetensors.SafetensorsDtype;
import io.steer4j.djl.hooks.HookSet;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * The Java CPU engine ({@link CpuDecoder}) bound to a loaded decoder: builds its weights from the checkpoint
 * (float32, or 16-bit or Q8_0 matrices for a checkpoint, or a GGUF file, stored so: {@link #keptFormats}), and runs a one-row pass under
 * {@link DecoderTransformer#forward}'s contract (the model's {@link KvCache}, its mask and positions, logits as
 * NDArray or as host logits), which the engine itself knows nothing of.
 */
final class JavaEngineBinding {
    private final CpuDecoder decoder;
    private final DecoderSpec spec;
    private final long weightBytes;

    private JavaEngineBinding(CpuDecoder decoder, DecoderSpec spec, long weightBytes) {
        this.decoder = decoder;
        this.spec = spec;
        this.weightBytes = weightBytes;
    }

    /**
     * The formats the engine tries for each matrix, narrowest first (float32 when none fits or the list is empty).
     * A folder unpacked from a GGUF file ({@link WeightStore#matrixGgufTypes}): the file's Q8_0 and 16-bit types
     * among its matrices, each matrix checked to be exactly representable in the format before it is kept so (a
     * Q8_0 model's rows that are not whole blocks were stored F16, and some fused matrix might mix types).
     * Otherwise BF16 or F16 when the checkpoint stores every matrix so (libtorch holds them widened to float32,
     * exactly, so narrowing them back loses nothing).
     */
    static List<GgmlType> keptFormats(WeightStore store) {
        Set<GgmlType> gguf = store.matrixGgufTypes();
        if (!gguf.isEmpty()) {
            List<GgmlType> out = new ArrayList<>();
            for (GgmlType g : List.of(GgmlType.Q8_0, GgmlType.F16, GgmlType.BF16)) {
                if (gguf.contains(g)) {
                    out.add(g);
                }
            }
            return out;
        }
        SafetensorsDtype d = store.matrixDtype();
        return d == SafetensorsDtype.BF16 ? List.of(GgmlType.BF16)
                : d == SafetensorsDtype.F16 ? List.of(GgmlType.F16) : List.of();
    }

    /**
     * Why the Java engine cannot run a model with these weights, or null when it can: the Vector API module is
     * absent, the weights are not float32 on the CPU, or the engine's copy (float32, or 16-bit or Q8_0 matrices
     * for a checkpoint stored so) would not fit the heap.
     */
    static String unavailableReason(ModelWeights w, WeightStore store) {
        if (w.embed().getDevice().isGpu()) {
            return "the weights are on a GPU";
        }
        if (w.embed().getDataType() != DataType.FLOAT32) {
            return "the weights are " + w.embed().getDataType() + ", not float32";
        }
        if (!CpuEngine.javaEngineAvailable()) {
            return "the JVM was started without the flag " + CpuEngine.JVM_FLAG + " (add it for the faster engine)";
        }
        long matrices = w.embed().size() + (w.lmHead() == w.embed() ? 0 : w.lmHead().size());
        for (ModelWeights.Layer b : w.layers()) {
            for (NDArray a : new NDArray[] {b.qkvW(), b.outW(), b.upW(), b.downW()}) {
                if (a.size() >= Integer.MAX_VALUE) {
                    return "a weight has more than 2^31 values";
                }
                matrices += a.size();
            }
        }
        List<GgmlType> kept = keptFormats(store);
        GgmlType narrowest = kept.isEmpty() ? GgmlType.F32 : kept.get(0);
        // bytes a value in the engine's layout: Q8_0 holds its block scales as floats (36 bytes a block of 32)
        double perValue = narrowest == GgmlType.Q8_0 ? 1.125 : narrowest == GgmlType.F32 ? 4 : 2;
        long bytes = (long) (perValue * matrices) + 4 * (w.positions() == null ? 0 : w.positions().size());
        Runtime rt = Runtime.getRuntime();
        long free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        if (bytes > free / 10 * 8 || w.embed().size() >= Integer.MAX_VALUE) {
            String format = switch (narrowest) {
                case BF16 -> "bfloat16";
                case F16 -> "float16";
                case Q8_0 -> "Q8_0";
                default -> "float32";
            };
            return "its " + format + " copy of the weights (" + (bytes >> 20) + " MB) would not fit the heap's "
                    + (free >> 20) + " MB free (raise -Xmx to use it)";
        }
        return null;
    }

    /** The engine for a loaded model whose {@link #unavailableReason} is null, its weights read from {@code store}. */
    static JavaEngineBinding create(DecoderSpec spec, ModelWeights w, WeightStore store) {
        int d = spec.hidden();
        int inner = spec.intermediate();
        int qDim = spec.heads() * spec.headDim();
        int qkvOut = qDim + 2 * spec.kvHeads() * spec.headDim();
        List<GgmlType> kept = keptFormats(store);
        boolean check = !store.matrixGgufTypes().isEmpty();
        Formats f = new Formats(kept, check);
        WeightMatrix embed = matrix(store, w.embed(), f);
        CpuWeights.Layer[] layers = new CpuWeights.Layer[w.layers().length];
        for (int l = 0; l < layers.length; l++) {
            ModelWeights.Layer b = w.layers()[l];
            layers[l] = new CpuWeights.Layer(norm(store, b.norm1()), norm(store, b.norm2()),
                    mat(store, b.qkvW(), b.qkvB(), qkvOut, d, f), mat(store, b.outW(), b.outB(), d, qDim, f),
                    mat(store, b.upW(), b.upB(), spec.gatedMlp() ? 2 * inner : inner, d, f),
                    mat(store, b.downW(), b.downB(), d, inner, f));
        }
        CpuWeights.Projection head = w.lmHead() == w.embed()
                ? new CpuWeights.Projection(embed, null, spec.vocab(), d)
                : mat(store, w.lmHead(), null, spec.vocab(), d, f);
        CpuWeights weights = new CpuWeights(embed, store.floats(w.positions()), layers, norm(store, w.finalNorm()),
                head);
        return new JavaEngineBinding(CpuDecoder.create(spec, weights), spec, weights.bytes());
    }

    /**
     * The formats to try ({@link #keptFormats}) and whether each must be checked to hold the values exactly (a
     * GGUF folder's matrices, whose types were recorded per tensor; a 16-bit safetensors checkpoint's are known
     * exact).
     */
    private record Formats(List<GgmlType> kept, boolean check) {
    }

    private static CpuWeights.Projection mat(WeightStore store, NDArray w, NDArray b, int out, int in, Formats f) {
        return new CpuWeights.Projection(matrix(store, w, f), store.floats(b), out, in);
    }

    /**
     * A 2-D weight in the engine's layout (a transposed view, GPT-2's Conv1D, comes out in logical {@code [out,
     * in]} order): the first of the kept formats that the rows fit (Q8_0: whole blocks of 32 whose values are
     * exactly Q8_0's, {@link Q8Matrix#requantized}; 16-bit: an even length, and when checked, values that round
     * to themselves), else float32 rows. The narrowed rows are made from the tensor's float32 values, which exist
     * only while this tensor is converted.
     */
    private static WeightMatrix matrix(WeightStore store, NDArray w, Formats f) {
        int rows = (int) w.getShape().get(0);
        int cols = (int) w.getShape().get(1);
        if (!f.check()) { // a 16-bit safetensors checkpoint or float32: narrowed from one flat copy, as before
            GgmlType g = f.kept().isEmpty() ? GgmlType.F32 : f.kept().get(0);
            if (g == GgmlType.BF16 && cols % 2 == 0) {
                return Bfloat16Matrix.rounded(store.floats(w), rows, cols);
            }
            if (g == GgmlType.F16 && cols % 2 == 0) {
                return Float16Matrix.rounded(store.floats(w), rows, cols);
            }
            return new Float32Matrix(store.rows(w));
        }
        float[][] values = store.rows(w);
        for (GgmlType g : f.kept()) {
            WeightMatrix m = switch (g) {
                case Q8_0 -> Q8Matrix.requantized(values);
                case BF16 -> cols % 2 == 0 ? Bfloat16Matrix.rounded(flat(values, cols), rows, cols) : null;
                case F16 -> cols % 2 == 0 ? Float16Matrix.rounded(flat(values, cols), rows, cols) : null;
                default -> null;
            };
            if (m != null && (g == GgmlType.Q8_0 || holds(m, values))) {
                return m;
            }
        }
        return new Float32Matrix(values);
    }

    private static float[] flat(float[][] rows, int cols) {
        float[] out = new float[rows.length * cols];
        for (int r = 0; r < rows.length; r++) {
            System.arraycopy(rows[r], 0, out, r * cols, cols);
        }
        return out;
    }

    /** Whether {@code m} widens back to exactly {@code values} (NaN never does). */
    private static boolean holds(WeightMatrix m, float[][] values) {
        float[] row = new float[m.cols()];
        for (int r = 0; r < values.length; r++) {
            m.widenRow(r, row, 0);
            for (int k = 0; k < row.length; k++) {
                if (row[k] != values[r][k]) {
                    return false;
                }
            }
        }
        return true;
    }

    private static CpuWeights.Norm norm(WeightStore store, ModelWeights.Norm n) {
        return new CpuWeights.Norm(store.floats(n.weight()), store.floats(n.bias()));
    }

    /** Bytes of heap the engine's copy of the weights holds ({@link CpuWeights#bytes()}). */
    long weightBytes() {
        return weightBytes;
    }

    /** One-row passes the engine has run. */
    long passes() {
        return decoder.passes();
    }

    /**
     * The {@link DecoderTransformer#forward} contract for one unpadded row with a cache: runs the tokens of
     * {@code in} after the cached ones, writes their keys and values to {@code cache}, runs the hooks.
     */
    NDArray forward(ForwardInput in, KvCache cache, HookSet hooks, LogitsMode mode, long[][] logicalPositions) {
        NDManager m = in.manager();
        long[] tokens = in.flatTokens();
        int t = tokens.length;
        int past = cache.length();
        CpuKvCache kv = cache.hostKv(past + t, decoder::newKv);
        HookRows sites = hooks.isEmpty() ? null
                : new HookRows(hooks, 1, t, spec.hidden(), false, logicalPositions, in.promptLengths(), m);
        float[] logits = decoder.run(tokens, (int) cache.nextPosition[0], kv, sites, mode == LogitsMode.ALL);
        int[] mask = Arrays.copyOf(cache.mask[0], past + t);
        Arrays.fill(mask, past, past + t, 1);
        cache.mask = new int[][] {mask};
        in.advance(cache.nextPosition);
        if (mode == LogitsMode.NONE) {
            return null;
        }
        if (mode == LogitsMode.LAST && cache.hostLogitsWanted()) {
            cache.hostLogits(logits);
            return null;
        }
        return mode == LogitsMode.LAST ? m.create(logits, new Shape(1, spec.vocab()))
                : m.create(logits, new Shape(1, t, spec.vocab()));
    }
}
