package io.steer4j.core.eval;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LogSoftmaxTest {
    private static final double EPS = 1e-9;
    private static final double LN2 = Math.log(2);

    @Test
    void equalLogitsShareProbabilityEvenly() {
        assertArrayEquals(new double[] {-LN2, -LN2}, LogSoftmax.of(new float[] {0, 0}), EPS);
    }

    @Test
    void threeLogitsMatchTheHandComputedValues() {
        // log(e^1 + e^2 + e^3) = 3 + log(e^-2 + e^-1 + 1) = 3 + log(1.5032147244) = 3.4076059644
        assertArrayEquals(new double[] {-2.4076059644, -1.4076059644, -0.4076059644},
                LogSoftmax.of(new float[] {1, 2, 3}), EPS);
    }

    @Test
    void hugeLogitsDoNotOverflow() {
        assertArrayEquals(new double[] {-LN2, -LN2}, LogSoftmax.of(new double[] {1000, 1000}), EPS);
    }

    @Test
    void maskedLogitsGetMinusInfinity() {
        double[] lp = LogSoftmax.of(new float[] {0, Float.NEGATIVE_INFINITY});
        assertEquals(0.0, lp[0], EPS);
        assertEquals(Double.NEGATIVE_INFINITY, lp[1]);
    }

    @Test
    void logProbOfPicksOneToken() {
        assertEquals(-0.4076059644, LogSoftmax.logProbOf(new float[] {1, 2, 3}, 2), EPS);
    }

    @Test
    void nanIsRejectedNamingTheIndex() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LogSoftmax.of(new float[] {0, Float.NaN}));
        assertTrue(e.getMessage().contains("logit 1"), e.getMessage());
    }

    @Test
    void plusInfinityIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> LogSoftmax.of(new float[] {Float.POSITIVE_INFINITY}));
    }

    @Test
    void allMaskedIsRejected() {
        assertThrows(IllegalArgumentException.class,
                () -> LogSoftmax.of(new float[] {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY}));
    }

    @Test
    void emptyIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> LogSoftmax.of(new float[0]));
    }

    @Test
    void inputArrayIsNotModified() {
        double[] logits = {1, 2};
        LogSoftmax.of(logits);
        assertArrayEquals(new double[] {1, 2}, logits);
    }
}
