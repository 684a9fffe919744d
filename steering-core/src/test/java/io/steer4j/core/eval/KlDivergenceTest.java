package io.steer4j.core.eval;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class KlDivergenceTest {
    private static final double EPS = 1e-9;

    @Test
    void uniformAgainstThreeToOne() {
        // p = (1/2, 1/2), q = (3/4, 1/4): ½ ln(½ / ¾) + ½ ln(½ / ¼) = ½ ln(4/3) = 0.1438410362
        assertEquals(0.1438410362, KlDivergence.fromLogits(new float[] {0, 0}, new float[] {(float) Math.log(3), 0}),
                1e-7);
    }

    @Test
    void identicalDistributionsHaveZeroDivergence() {
        assertEquals(0.0, KlDivergence.fromLogits(new float[] {1, 2, 3}, new float[] {1, 2, 3}), EPS);
    }

    @Test
    void shiftedLogitsAreTheSameDistribution() {
        assertEquals(0.0, KlDivergence.fromLogits(new float[] {1, 2, 3}, new float[] {11, 12, 13}), 1e-6);
    }

    @Test
    void tokensImpossibleUnderPContributeNothing() {
        // p = (1, 0), q = (½, ½): 1 · ln(1 / ½) = ln 2
        assertEquals(Math.log(2), KlDivergence.fromLogits(new float[] {0, Float.NEGATIVE_INFINITY}, new float[] {0, 0}),
                EPS);
    }

    @Test
    void aTokenPossibleUnderPButImpossibleUnderQGivesInfinity() {
        assertEquals(Double.POSITIVE_INFINITY,
                KlDivergence.fromLogits(new float[] {0, 0}, new float[] {0, Float.NEGATIVE_INFINITY}));
    }

    @Test
    void sizesMustMatch() {
        assertThrows(IllegalArgumentException.class, () -> KlDivergence.fromLogits(new float[2], new float[3]));
    }
}
