package io.steer4j.djl.engine.cpu;

import ai.djl.ndarray.NDArray;
import io.steer4j.core.plan.HookPoint;
import io.steer4j.djl.engine.Activation;
import io.steer4j.djl.engine.DecoderSpec;
import io.steer4j.djl.engine.HookRows;
import io.steer4j.djl.engine.NormKind;
import io.steer4j.djl.engine.Normalization;
import io.steer4j.djl.engine.RotaryAngles;
import io.steer4j.djl.engine.cpu.CpuWeights.Layer;
import io.steer4j.djl.engine.cpu.CpuWeights.Norm;
import io.steer4j.djl.engine.cpu.CpuWeights.Projection;
import io.steer4j.djl.hooks.FloatActivationHook;
import io.steer4j.djl.hooks.HookSet;
import io.steer4j.djl.hooks.HookSite;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A decoder's passes compute into arrays it keeps from pass to pass ({@link PassWorkspace}): results must not
 * depend on what an earlier, longer pass left there, and hooks must get arrays of their own, exactly the pass's
 * rows long. The decoder here is a small Llama-like one (grouped-query heads, rotary positions, gated MLP, RMS
 * norm) with float32 or bfloat16 weights, so the prompt kernel, the decode kernels and the widened 16-bit rows all
 * run.
 */
class PassWorkspaceTest {
    private static final int HIDDEN = 32;
    private static final int HEADS = 4;
    private static final int KV_HEADS = 2;
    private static final int HEAD_DIM = 8;
    private static final int INNER = 40;
    private static final int VOCAB = 50;
    private static final int LAYERS = 2;

    @ParameterizedTest(name = "bfloat16 weights: {0}")
    @ValueSource(booleans = {false, true})
    void logitsAreBitIdenticalWhetherTheWorkspaceIsFreshOrLeftOverFromALongerPass(boolean bf16) {
        CpuDecoder d = CpuDecoder.create(spec(), weights(bf16));
        long[] prompt = tokens(20, 3);
        List<float[]> fresh = generate(d, d.newKv(LAYERS, 64, 128), prompt, 4);

        CpuKvCache other = d.newKv(LAYERS, 64, 128);
        d.run(tokens(45, 11), 0, other, null, true); // every array grows past what the next passes need
        d.run(tokens(1, 5), 45, other, null, false);
        // the decoder's arrays are now longer and full of the earlier passes' values
        List<float[]> again = generate(d, d.newKv(LAYERS, 64, 128), prompt, 4);

        for (int i = 0; i < fresh.size(); i++) {
            assertArrayEquals(fresh.get(i), again.get(i), 0f, "pass " + i);
        }
    }

    @ParameterizedTest(name = "bfloat16 weights: {0}")
    @ValueSource(booleans = {false, true})
    void hooksGetArraysOfTheirOwnThatLaterPassesLeaveAlone(boolean bf16) {
        CpuDecoder d = CpuDecoder.create(spec(), weights(bf16));
        d.run(tokens(30, 7), 0, d.newKv(LAYERS, 64, 128), null, false); // the workspace's arrays are now longer
        CpuKvCache kv = d.newKv(LAYERS, 64, 128);
        KeepingHook keep = new KeepingHook();
        HookSet hooks = HookSet.builder()
                .add(HookPoint.RESID_PRE, 1, keep)
                .add(HookPoint.ATTN_OUT, 0, keep)
                .add(HookPoint.MLP_OUT, 1, keep)
                .add(HookPoint.RESID_POST, 0, keep)
                .build();
        int t = 13;
        d.run(tokens(t, 2), 0, kv, rows(hooks, t, 0), false);
        d.run(tokens(1, 9), t, kv, rows(hooks, 1, t), false);

        assertEquals(8, keep.kept.size(), "four sites, two passes");
        for (int i = 0; i < keep.kept.size(); i++) {
            int rows = i < 4 ? t : 1;
            assertEquals(rows * HIDDEN, keep.kept.get(i).length, "hook call " + i + " gets exactly its rows");
            assertArrayEquals(keep.seen.get(i), keep.kept.get(i), 0f, "hook call " + i + "'s array is its own");
        }
    }

    @ParameterizedTest(name = "bfloat16 weights: {0}")
    @ValueSource(booleans = {false, true})
    void whatAHookWritesReachesTheRestOfThePass(boolean bf16) {
        CpuDecoder d = CpuDecoder.create(spec(), weights(bf16));
        long[] prompt = tokens(14, 4);
        HookSet zeroing = HookSet.builder().add(HookPoint.RESID_POST, LAYERS - 1, new ZeroingHook()).build();
        float[] logits = d.run(prompt, 0, d.newKv(LAYERS, 64, 128), rows(zeroing, prompt.length, 0), false);
        // a zero residual stream through the final RMS norm is zero, and so is the head's product with it
        assertArrayEquals(new float[VOCAB], logits, 0f);
    }

    private static List<float[]> generate(CpuDecoder d, CpuKvCache kv, long[] prompt, int steps) {
        List<float[]> out = new ArrayList<>();
        float[] logits = d.run(prompt, 0, kv, null, false);
        out.add(logits);
        for (int s = 0; s < steps; s++) {
            logits = d.run(new long[] {argmax(logits)}, prompt.length + s, kv, null, false);
            out.add(logits);
        }
        return out;
    }

    private static HookRows rows(HookSet hooks, int t, int start) {
        long[][] positions = new long[1][t];
        for (int j = 0; j < t; j++) {
            positions[0][j] = start + j;
        }
        return new HookRows(hooks, 1, t, HIDDEN, false, positions, new int[] {start == 0 ? t : start}, null);
    }

    /** Keeps every array it is given, and a copy of what it held then. */
    private static final class KeepingHook implements FloatActivationHook {
        final List<float[]> kept = new ArrayList<>();
        final List<float[]> seen = new ArrayList<>();

        @Override
        public void applyInPlace(HookSite site, float[] x) {
            kept.add(x);
            seen.add(x.clone());
        }

        @Override
        public NDArray apply(HookSite site, NDArray x) {
            return x;
        }
    }

    /** Sets every activation it is given to zero. */
    private static final class ZeroingHook implements FloatActivationHook {
        @Override
        public void applyInPlace(HookSite site, float[] x) {
            Arrays.fill(x, 0f);
        }

        @Override
        public NDArray apply(HookSite site, NDArray x) {
            return x.zerosLike();
        }
    }

    private static DecoderSpec spec() {
        float[] inv = new float[HEAD_DIM / 2];
        for (int i = 0; i < inv.length; i++) {
            inv[i] = (float) Math.pow(10000, -2.0 * i / HEAD_DIM);
        }
        return new DecoderSpec(HIDDEN, HEADS, KV_HEADS, HEAD_DIM, INNER, VOCAB,
                new Normalization(NormKind.RMS_NORM, 1e-5f), Activation.SILU, true, false,
                new RotaryAngles(inv, HEAD_DIM));
    }

    private static CpuWeights weights(boolean bf16) {
        SplittableRandom rnd = new SplittableRandom(42);
        int qkv = (HEADS + 2 * KV_HEADS) * HEAD_DIM;
        Layer[] layers = new Layer[LAYERS];
        for (int l = 0; l < LAYERS; l++) {
            layers[l] = new Layer(norm(rnd), norm(rnd), projection(rnd, qkv, HIDDEN, bf16),
                    projection(rnd, HIDDEN, HEADS * HEAD_DIM, bf16), projection(rnd, 2 * INNER, HIDDEN, bf16),
                    projection(rnd, HIDDEN, INNER, bf16));
        }
        Projection head = projection(rnd, VOCAB, HIDDEN, bf16);
        return new CpuWeights(matrix(rnd, VOCAB, HIDDEN, false), null, layers, norm(rnd), head);
    }

    private static Norm norm(SplittableRandom rnd) {
        float[] w = new float[HIDDEN];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (0.8 + 0.4 * rnd.nextDouble());
        }
        return new Norm(w, null);
    }

    private static Projection projection(SplittableRandom rnd, int out, int in, boolean bf16) {
        return new Projection(matrix(rnd, out, in, bf16), null, out, in);
    }

    private static WeightMatrix matrix(SplittableRandom rnd, int rows, int cols, boolean bf16) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) ((rnd.nextDouble() - 0.5) * 0.6);
        }
        if (bf16) {
            return Bfloat16Matrix.rounded(v, rows, cols);
        }
        float[][] r = new float[rows][];
        for (int i = 0; i < rows; i++) {
            r[i] = Arrays.copyOfRange(v, i * cols, (i + 1) * cols);
        }
        return new Float32Matrix(r);
    }

    private static long[] tokens(int n, int seed) {
        long[] t = new long[n];
        for (int i = 0; i < n; i++) {
            t[i] = (i * 17L + seed * 31L) % VOCAB;
        }
        return t;
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
}
