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
import io.steer4j.djl.hooks.HookSet;

import java.util.Arrays;

/**
 * The Java CPU engine ({@link CpuDecoder}) bound to a loaded decoder: builds its float32 weights from the
 * checkpoint, and runs a one-row pass under {@link DecoderTransformer#forward}'s contract (the model's
 * {@link KvCache}, its mask and positions, logits as NDArray or as host logits), which the engine itself knows
 * nothing of.
 */
final class JavaEngineBinding {
    private final CpuDecoder decoder;
    private final DecoderSpec spec;

    private JavaEngineBinding(CpuDecoder decoder, DecoderSpec spec) {
        this.decoder = decoder;
        this.spec = spec;
    }

    /**
     * Why the Java engine cannot run a model with these weights, or null when it can: the Vector API module is
     * absent, the weights are not float32 on the CPU, or their float32 copy would not fit the heap.
     */
    static String unavailableReason(ModelWeights w) {
        if (w.embed().getDevice().isGpu()) {
            return "the weights are on a GPU";
        }
        if (w.embed().getDataType() != DataType.FLOAT32) {
            return "the weights are " + w.embed().getDataType() + ", not float32";
        }
        if (!CpuEngine.javaEngineAvailable()) {
            return "the JVM was started without the flag " + CpuEngine.JVM_FLAG + " (add it for the faster engine)";
        }
        long floats = w.embed().size() + (w.positions() == null ? 0 : w.positions().size())
                + (w.lmHead() == w.embed() ? 0 : w.lmHead().size());
        for (ModelWeights.Layer b : w.layers()) {
            for (NDArray a : new NDArray[] {b.qkvW(), b.outW(), b.upW(), b.downW()}) {
                if (a.size() >= Integer.MAX_VALUE) {
                    return "a weight has more than 2^31 values";
                }
                floats += a.size();
            }
        }
        Runtime rt = Runtime.getRuntime();
        long free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        if (4 * floats > free / 10 * 8 || w.embed().size() >= Integer.MAX_VALUE) {
            return "its float32 copy of the weights (" + (4 * floats >> 20) + " MB) would not fit the heap's "
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
        float[][] embed = store.rows(w.embed());
        CpuWeights.Layer[] layers = new CpuWeights.Layer[w.layers().length];
        for (int l = 0; l < layers.length; l++) {
            ModelWeights.Layer b = w.layers()[l];
            layers[l] = new CpuWeights.Layer(norm(store, b.norm1()), norm(store, b.norm2()),
                    mat(store, b.qkvW(), b.qkvB(), qkvOut, d), mat(store, b.outW(), b.outB(), d, qDim),
                    mat(store, b.upW(), b.upB(), spec.gatedMlp() ? 2 * inner : inner, d),
                    mat(store, b.downW(), b.downB(), d, inner));
        }
        CpuWeights.Projection head = w.lmHead() == w.embed()
                ? new CpuWeights.Projection(embed, null, spec.vocab(), d)
                : mat(store, w.lmHead(), null, spec.vocab(), d);
        CpuWeights weights = new CpuWeights(embed, store.floats(w.positions()), layers, norm(store, w.finalNorm()),
                head);
        return new JavaEngineBinding(CpuDecoder.create(spec, weights), spec);
    }

    private static CpuWeights.Projection mat(WeightStore store, NDArray w, NDArray b, int out, int in) {
        // a transposed view (GPT-2's Conv1D) comes out in logical [out, in] order
        return new CpuWeights.Projection(store.rows(w), store.floats(b), out, in);
    }

    private static CpuWeights.Norm norm(WeightStore store, ModelWeights.Norm n) {
        return new CpuWeights.Norm(store.floats(n.weight()), store.floats(n.bias()));
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
