package io.steer4j.djl.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * SIMD attention of the Java CPU engine: one head for one query over the KV cache (decode), and one head for a
 * panel of queries at once (prompts), both with the softmax written as vector passes.
 */
final class AttentionKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private AttentionKernels() {
    }

    /**
     * One head's attention for a panel of {@code n <= L} queries at once (prompt processing): tokens {@code j0 ..
     * j0+n-1} of the pass, whose queries start at {@code qkv[(j0 + l) * width + qOff]}, over the keys and values of
     * slots {@code 0 .. past+j0+l} (causal) that start at {@code base} ({@code hd} floats per slot); the context
     * goes to {@code ctx[(j0 + l) * ctxWidth + cOff ..+hd)}. {@code qP} is scratch of {@code hd * L} floats,
     * {@code sc} of {@code (past + j0 + n) * L}.
     *
     * <p>Why: {@link #attendHead} per query spends most of its time reducing lanes (one horizontal sum per slot
     * and query); here the vector runs over the panel's queries, as in {@link SimdKernels#matmulPanels}, so scores, softmax
     * and the weighted sum of values are all vertical: each key or value float is broadcast once for {@code L}
     * queries. The softmax is the same (scale, max, exp, sum, divide), masked lanes (a slot after the query) weigh
     * exactly 0.
     */
    static void attendPanel(float[] qkv, int width, int qOff, int j0, int n, float[] keys, float[] values, int base,
                            int past, int hd, float scale, float[] qP, float[] sc, float[] ctx, int ctxWidth,
                            int cOff) {
        java.util.Arrays.fill(qP, 0f);
        for (int l = 0; l < n; l++) {
            int q = (j0 + l) * width + qOff;
            for (int k = 0; k < hd; k++) {
                qP[k * L + l] = qkv[q + k];
            }
        }
        int visible = past + j0 + n;
        FloatVector lane = FloatVector.fromArray(S, LANE_INDEX, 0);
        FloatVector max = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int s = 0;
        for (; s + 4 <= visible; s += 4) {
            int k0 = base + s * hd;
            int k1 = k0 + hd;
            int k2 = k1 + hd;
            int k3 = k2 + hd;
            FloatVector a0 = FloatVector.zero(S);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            for (int k = 0; k < hd; k++) {
                FloatVector qv = FloatVector.fromArray(S, qP, k * L);
                a0 = qv.fma(FloatVector.broadcast(S, keys[k0 + k]), a0);
                a1 = qv.fma(FloatVector.broadcast(S, keys[k1 + k]), a1);
                a2 = qv.fma(FloatVector.broadcast(S, keys[k2 + k]), a2);
                a3 = qv.fma(FloatVector.broadcast(S, keys[k3 + k]), a3);
            }
            max = max.max(scoreInto(a0, scale, s, past + j0, lane, sc));
            max = max.max(scoreInto(a1, scale, s + 1, past + j0, lane, sc));
            max = max.max(scoreInto(a2, scale, s + 2, past + j0, lane, sc));
            max = max.max(scoreInto(a3, scale, s + 3, past + j0, lane, sc));
        }
        for (; s < visible; s++) {
            int k0 = base + s * hd;
            FloatVector a0 = FloatVector.zero(S);
            for (int k = 0; k < hd; k++) {
                a0 = FloatVector.fromArray(S, qP, k * L).fma(FloatVector.broadcast(S, keys[k0 + k]), a0);
            }
            max = max.max(scoreInto(a0, scale, s, past + j0, lane, sc));
        }
        FloatVector sum = FloatVector.zero(S);
        for (s = 0; s < visible; s++) {
            FloatVector e = FloatVector.fromArray(S, sc, s * L).sub(max).lanewise(VectorOperators.EXP);
            e.intoArray(sc, s * L);
            sum = sum.add(e);
        }
        for (s = 0; s < visible; s++) {
            FloatVector.fromArray(S, sc, s * L).div(sum).intoArray(sc, s * L);
        }
        float[] lanes = new float[L];
        int d = 0;
        for (; d + 4 <= hd; d += 4) {
            FloatVector c0 = FloatVector.zero(S);
            FloatVector c1 = c0;
            FloatVector c2 = c0;
            FloatVector c3 = c0;
            for (s = 0; s < visible; s++) {
                FloatVector pv = FloatVector.fromArray(S, sc, s * L);
                int v = base + s * hd + d;
                c0 = pv.fma(FloatVector.broadcast(S, values[v]), c0);
                c1 = pv.fma(FloatVector.broadcast(S, values[v + 1]), c1);
                c2 = pv.fma(FloatVector.broadcast(S, values[v + 2]), c2);
                c3 = pv.fma(FloatVector.broadcast(S, values[v + 3]), c3);
            }
            c0.intoArray(lanes, 0);
            contextInto(lanes, n, ctx, j0, ctxWidth, cOff + d);
            c1.intoArray(lanes, 0);
            contextInto(lanes, n, ctx, j0, ctxWidth, cOff + d + 1);
            c2.intoArray(lanes, 0);
            contextInto(lanes, n, ctx, j0, ctxWidth, cOff + d + 2);
            c3.intoArray(lanes, 0);
            contextInto(lanes, n, ctx, j0, ctxWidth, cOff + d + 3);
        }
        for (; d < hd; d++) { // head sizes that are not a multiple of 4
            FloatVector c0 = FloatVector.zero(S);
            for (s = 0; s < visible; s++) {
                c0 = FloatVector.fromArray(S, sc, s * L).fma(FloatVector.broadcast(S, values[base + s * hd + d]), c0);
            }
            c0.intoArray(lanes, 0);
            contextInto(lanes, n, ctx, j0, ctxWidth, cOff + d);
        }
    }

    /** 0, 1, 2, ...: lane {@code l} is query {@code j0 + l} of a panel. */
    private static final float[] LANE_INDEX = new float[L];

    static {
        for (int i = 0; i < L; i++) {
            LANE_INDEX[i] = i;
        }
    }

    /**
     * Scales slot {@code s}'s scores and stores them in {@code sc}, with the lanes of queries before the slot
     * (slot {@code > first + l}, {@code first} the panel's first query slot) at minus infinity; returns them.
     */
    private static FloatVector scoreInto(FloatVector a, float scale, int s, int first, FloatVector lane, float[] sc) {
        // blended for every slot: up to the first query's slot no lane is masked (s - first <= 0), and a vector
        // chosen by a branch would be boxed on the heap by C2 (Java 17)
        FloatVector v = a.mul(scale).blend(Float.NEGATIVE_INFINITY, lane.lt((float) (s - first)));
        v.intoArray(sc, s * L);
        return v;
    }

    /**
     * Writes lane {@code l < n} of one context channel of a panel's queries, stored in {@code lanes} (query
     * {@code j0 + l}), to {@code ctx}. The caller stores the vector itself: a vector passed to a method C2 does not
     * inline is boxed on the heap.
     */
    private static void contextInto(float[] lanes, int n, float[] ctx, int j0, int ctxWidth, int at) {
        for (int l = 0; l < n; l++) {
            ctx[(j0 + l) * ctxWidth + at] = lanes[l];
        }
    }

    /**
     * One head's attention for one query: {@code ctx[cOff ..+hd) = softmax(scale * q . K^T) V} over the
     * {@code visible} slots of {@code keys} and {@code values} that start at {@code base} ({@code hd} floats per
     * slot); {@code scores} is scratch of at least {@code visible} floats.
     *
     * <p>Why a kernel of its own: a decode step runs it for every head of every layer, and written as a dot
     * product, a scalar {@code Math.exp} and an {@code axpy} per slot it cost three times the keys' and values'
     * reading time. Here the exponentials are one vector pass, and the weighted sum of values keeps each
     * {@code L}-float slice of the context in a register while every slot is added to it (an axpy per slot would
     * load and store the context each time); the additions happen in the same order, slot by slot.
     */
    static void attendHead(float[] q, int qOff, float[] keys, float[] values, int base, int visible, int hd,
                           float scale, float[] scores, float[] ctx, int cOff) {
        float max = Float.NEGATIVE_INFINITY;
        for (int s = 0; s < visible; s++) {
            float v = SimdKernels.dot(q, qOff, keys, base + s * hd, hd) * scale;
            scores[s] = v;
            max = Math.max(max, v);
        }
        FloatVector mv = FloatVector.broadcast(S, max);
        FloatVector sums = FloatVector.zero(S);
        int s = 0;
        int bound = S.loopBound(visible);
        for (; s < bound; s += L) {
            FloatVector e = FloatVector.fromArray(S, scores, s).sub(mv).lanewise(VectorOperators.EXP);
            e.intoArray(scores, s);
            sums = sums.add(e);
        }
        float sum = sums.reduceLanes(VectorOperators.ADD);
        for (; s < visible; s++) {
            float e = (float) Math.exp(scores[s] - max);
            scores[s] = e;
            sum += e;
        }
        for (int i = 0; i < visible; i++) {
            scores[i] /= sum;
        }
        int i = 0;
        for (; i + L <= hd; i += L) {
            FloatVector acc = FloatVector.zero(S);
            for (int t = 0; t < visible; t++) {
                acc = FloatVector.fromArray(S, values, base + t * hd + i).fma(FloatVector.broadcast(S, scores[t]), acc);
            }
            acc.intoArray(ctx, cOff + i);
        }
        for (; i < hd; i++) { // head sizes that are not a multiple of the vector length
            float acc = 0f;
            for (int t = 0; t < visible; t++) {
                acc += scores[t] * values[base + t * hd + i];
            }
            ctx[cOff + i] = acc;
        }
    }
}
