package io.steer4j.djl.model;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * SIMD loops of the Vector API decode path over float32 arrays. Only {@link VectorDecoder} uses this class, and
 * only after {@link VectorSupport#available()} said the {@code jdk.incubator.vector} module is present, so a JVM
 * without the module never loads it.
 */
final class VectorKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private VectorKernels() {
    }

    /**
     * {@code y[j * out + r] = dot(w[r, :], x[j, :]) + bias[r]} for rows {@code r} in {@code [r0, r1)} and every
     * token {@code j < t}; {@code w} is {@code [out, in]} row-major. Tokens go four at a time so that one read of a
     * weight row serves four tokens (prompt processing); a decode step has {@code t == 1}.
     */
    static void matmulRows(float[] x, int t, int in, float[] w, float[] bias, float[] y, int out, int r0, int r1) {
        int j = 0;
        for (; j + 4 <= t; j += 4) {
            for (int r = r0; r < r1; r++) {
                dot4(x, j, in, w, r, bias, y, out);
            }
        }
        for (; j < t; j++) {
            int xo = j * in;
            for (int r = r0; r < r1; r++) {
                float v = dot(w, r * in, x, xo, in);
                y[j * out + r] = bias == null ? v : v + bias[r];
            }
        }
    }

    private static void dot4(float[] x, int j, int in, float[] w, int r, float[] bias, float[] y, int out) {
        int wo = r * in;
        int x0 = j * in;
        int x1 = x0 + in;
        int x2 = x1 + in;
        int x3 = x2 + in;
        FloatVector a0 = FloatVector.zero(S);
        FloatVector a1 = FloatVector.zero(S);
        FloatVector a2 = FloatVector.zero(S);
        FloatVector a3 = FloatVector.zero(S);
        int bound = S.loopBound(in);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector wv = FloatVector.fromArray(S, w, wo + i);
            a0 = wv.fma(FloatVector.fromArray(S, x, x0 + i), a0);
            a1 = wv.fma(FloatVector.fromArray(S, x, x1 + i), a1);
            a2 = wv.fma(FloatVector.fromArray(S, x, x2 + i), a2);
            a3 = wv.fma(FloatVector.fromArray(S, x, x3 + i), a3);
        }
        float s0 = a0.reduceLanes(VectorOperators.ADD);
        float s1 = a1.reduceLanes(VectorOperators.ADD);
        float s2 = a2.reduceLanes(VectorOperators.ADD);
        float s3 = a3.reduceLanes(VectorOperators.ADD);
        for (; i < in; i++) {
            float wi = w[wo + i];
            s0 += wi * x[x0 + i];
            s1 += wi * x[x1 + i];
            s2 += wi * x[x2 + i];
            s3 += wi * x[x3 + i];
        }
        float b = bias == null ? 0f : bias[r];
        y[j * out + r] = s0 + b;
        y[(j + 1) * out + r] = s1 + b;
        y[(j + 2) * out + r] = s2 + b;
        y[(j + 3) * out + r] = s3 + b;
    }

    /** {@code dot(a[ao .. ao+n), b[bo .. bo+n))}, with two accumulators to hide the FMA latency. */
    static float dot(float[] a, int ao, float[] b, int bo, int n) {
        FloatVector acc0 = FloatVector.zero(S);
        FloatVector acc1 = FloatVector.zero(S);
        int i = 0;
        int bound2 = n - n % (2 * L);
        for (; i < bound2; i += 2 * L) {
            acc0 = FloatVector.fromArray(S, a, ao + i).fma(FloatVector.fromArray(S, b, bo + i), acc0);
            acc1 = FloatVector.fromArray(S, a, ao + i + L).fma(FloatVector.fromArray(S, b, bo + i + L), acc1);
        }
        int bound = S.loopBound(n);
        for (; i < bound; i += L) {
            acc0 = FloatVector.fromArray(S, a, ao + i).fma(FloatVector.fromArray(S, b, bo + i), acc0);
        }
        float s = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            s += a[ao + i] * b[bo + i];
        }
        return s;
    }

    /** {@code y[yo .. yo+n) += a * x[xo .. xo+n)}. */
    static void axpy(float a, float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        int bound = S.loopBound(n);
        FloatVector av = FloatVector.broadcast(S, a);
        for (; i < bound; i += L) {
            FloatVector.fromArray(S, x, xo + i).fma(av, FloatVector.fromArray(S, y, yo + i)).intoArray(y, yo + i);
        }
        for (; i < n; i++) {
            y[yo + i] += a * x[xo + i];
        }
    }

    /**
     * GELU, tanh approximation, in place on {@code x[from .. to)}: {@code 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715
     * x^3)))}, libtorch's formula for {@code gelu(approximate="tanh")}.
     */
    static void geluTanh(float[] x, int from, int to) {
        float c = (float) Math.sqrt(2.0 / Math.PI);
        int i = from;
        int bound = from + S.loopBound(to - from);
        for (; i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, i);
            FloatVector inner = v.mul(v).mul(v).mul(0.044715f).add(v).mul(c);
            v.mul(0.5f).mul(inner.lanewise(VectorOperators.TANH).add(1f)).intoArray(x, i);
        }
        for (; i < to; i++) {
            float v = x[i];
            x[i] = 0.5f * v * (1f + (float) Math.tanh(c * (v + 0.044715f * v * v * v)));
        }
    }

    /** SiLU in place on {@code x[from .. to)}: {@code x / (1 + exp(-x))}. */
    static void silu(float[] x, int from, int to) {
        int i = from;
        int bound = from + S.loopBound(to - from);
        for (; i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, i);
            v.div(v.neg().lanewise(VectorOperators.EXP).add(1f)).intoArray(x, i);
        }
        for (; i < to; i++) {
            x[i] = x[i] / (1f + (float) Math.exp(-x[i]));
        }
    }
}
