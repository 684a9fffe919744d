package io.steer4j.core.eval;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class AbChoiceTest {
    private static final double EPS = 1e-12;

    @Test
    void equalScoresGiveOneHalf() {
        assertEquals(0.5, AbChoice.probabilityOfA(2, 2), EPS);
    }

    @Test
    void threeToOneOddsGiveThreeQuarters() {
        // exp(ln 3) / (exp(ln 3) + exp(0)) = 3 / 4
        assertEquals(0.75, AbChoice.probabilityOfA(Math.log(3), 0), EPS);
    }

    @Test
    void logitsAndLogProbsGiveTheSameAnswer() {
        // log-probs are logits minus one shared normaliser (here 5)
        assertEquals(AbChoice.probabilityOfA(2, 1), AbChoice.probabilityOfA(2 - 5, 1 - 5), EPS);
    }

    @Test
    void extremeScoresSaturateWithoutNaN() {
        assertEquals(1.0, AbChoice.probabilityOfA(1000, 0), EPS);
        assertEquals(0.0, AbChoice.probabilityOfA(0, 1000), EPS);
        assertEquals(1.0, AbChoice.probabilityOfA(0, Double.NEGATIVE_INFINITY), EPS);
    }

    @Test
    void nanIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> AbChoice.probabilityOfA(Double.NaN, 0));
    }

    @Test
    void twoEqualInfinitiesAreRejected() {
        assertThrows(IllegalArgumentException.class,
                () -> AbChoice.probabilityOfA(Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY));
    }
}
