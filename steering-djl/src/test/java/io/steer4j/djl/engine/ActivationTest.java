package io.steer4j.djl.engine;

import ai.djl.ndarray.NDManager;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Each activation's two forms (libtorch's NDArray and the Java CPU engine's float array) compute the same function. */
class ActivationTest {
    @ParameterizedTest
    @EnumSource(Activation.class)
    void theFloatFormMatchesTheNdArrayForm(Activation a) {
        // 67 values: several vector lengths and a scalar tail, from -6 to 6
        float[] x = new float[67];
        for (int i = 0; i < x.length; i++) {
            x[i] = -6f + 12f * i / (x.length - 1);
        }
        float[] expected;
        try (NDManager m = NDManager.newBaseManager()) {
            expected = a.apply(m.create(x.clone())).toFloatArray();
        }
        float[] got = x.clone();
        a.applyInPlace(got, 0, got.length);
        for (int i = 0; i < x.length; i++) {
            assertEquals(expected[i], got[i], 2e-6 * Math.max(1, Math.abs(expected[i])), a + " at x=" + x[i]);
        }
    }

    @Test
    void huggingFaceNamesMapToTheirFunctions() {
        assertEquals(Optional.of(Activation.GELU_TANH), Activation.forName("gelu_new"));
        assertEquals(Optional.of(Activation.GELU_TANH), Activation.forName("gelu_pytorch_tanh"));
        assertEquals(Optional.of(Activation.GELU_ERF), Activation.forName("gelu"));
        assertEquals(Optional.of(Activation.SILU), Activation.forName("swish"));
        assertEquals(Optional.of(Activation.RELU), Activation.forName("relu"));
        assertEquals(Optional.empty(), Activation.forName("quick_gelu"));
    }
}
