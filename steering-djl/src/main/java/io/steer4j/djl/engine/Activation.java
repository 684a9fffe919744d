package io.steer4j.djl.engine;

import ai.djl.ndarray.NDArray;

import java.util.List;
import java.util.Optional;

/**
 * An MLP activation by its Hugging Face name, in the two forms the engines need: on an NDArray (libtorch) and in
 * place on a float array (the Java CPU engine, SIMD where the JDK's Vector API has the function). Parsed once per
 * model from the config's name; an unknown name is refused at load by every engine alike, never guessed.
 *
 * <pre>{@code
 * Activation a = Activation.forName("gelu_new").orElseThrow(); // GELU_TANH
 * }</pre>
 */
public enum Activation {
    /** GELU, tanh approximation ({@code gelu_new}, {@code gelu_pytorch_tanh}, {@code gelu_fast}). */
    GELU_TANH(List.of("gelu_new", "gelu_pytorch_tanh", "gelu_fast")) {
        @Override
        public NDArray apply(NDArray x) {
            // 0.5 x (1 + tanh(z)), z = sqrt(2/pi) (x + 0.044715 x^3), computed as the identical x sigmoid(2z) =
            // x sigmoid(x (2c + 2c 0.044715 x^2)): six libtorch calls, four in place on a temporary, instead of ten
            // calls each allocating a tensor the size of the MLP
            NDArray z2 = x.mul(x).muli(2 * GELU_C * 0.044715f).addi(2 * GELU_C).muli(x);
            return ai.djl.nn.Activation.sigmoid(z2).muli(x);
        }

        @Override
        public void applyInPlace(float[] v, int from, int to) {
            ActivationKernels.geluTanh(v, from, to);
        }
    },
    /** GELU with the exact error function ({@code gelu}). */
    GELU_ERF(List.of("gelu")) {
        @Override
        public NDArray apply(NDArray x) {
            return ai.djl.nn.Activation.gelu(x);
        }

        @Override
        public void applyInPlace(float[] v, int from, int to) {
            for (int i = from; i < to; i++) {
                v[i] = (float) (0.5 * v[i] * (1 + Erf.erf(v[i] / Math.sqrt(2))));
            }
        }
    },
    /** {@code x sigmoid(x)} ({@code silu}, {@code swish}). */
    SILU(List.of("silu", "swish")) {
        @Override
        public NDArray apply(NDArray x) {
            return ai.djl.nn.Activation.sigmoid(x).muli(x);
        }

        @Override
        public void applyInPlace(float[] v, int from, int to) {
            ActivationKernels.silu(v, from, to);
        }
    },
    /** {@code max(x, 0)} ({@code relu}). */
    RELU(List.of("relu")) {
        @Override
        public NDArray apply(NDArray x) {
            return ai.djl.nn.Activation.relu(x);
        }

        @Override
        public void applyInPlace(float[] v, int from, int to) {
            for (int i = from; i < to; i++) {
                v[i] = Math.max(v[i], 0f);
            }
        }
    };

    private static final float GELU_C = (float) Math.sqrt(2.0 / Math.PI);

    private final List<String> names;

    Activation(List<String> names) {
        this.names = names;
    }

    /** The activation a config names, or empty for a name no engine computes. */
    public static Optional<Activation> forName(String name) {
        for (Activation a : values()) {
            if (a.names.contains(name)) {
                return Optional.of(a);
            }
        }
        return Optional.empty();
    }

    /** Every Hugging Face name {@link #forName} accepts. */
    public static List<String> names() {
        List<String> all = new java.util.ArrayList<>();
        for (Activation a : values()) {
            all.addAll(a.names);
        }
        return List.copyOf(all);
    }

    /** The activation of {@code x}, as a new array or {@code x}'s temporary (libtorch). */
    public abstract NDArray apply(NDArray x);

    /**
     * The activation of {@code v[from .. to)} in place (the Java CPU engine). The SIMD forms need the
     * {@code jdk.incubator.vector} module; only the Java CPU engine calls this, which runs only where it is present.
     */
    public abstract void applyInPlace(float[] v, int from, int to);
}
