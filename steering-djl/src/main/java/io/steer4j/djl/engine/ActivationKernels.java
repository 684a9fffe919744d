package io.steer4j.djl.engine;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * SIMD forms of {@link Activation}s over float arrays. A class of its own so that a JVM without the
 * {@code jdk.incubator.vector} module never loads it: only {@link Activation#applyInPlace} calls it.
 */
final class ActivationKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private ActivationKernels() {
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
