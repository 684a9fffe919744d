package io.steer4j.core.eval;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ContinuationScoreTest {
    @Test
    void logProbIsTheSumOfTokenLogProbs() {
        assertEquals(-1.5, ContinuationScore.logProb(new double[] {-1, -0.5}), 1e-12);
    }

    @Test
    void differenceIsFirstMinusSecond() {
        assertEquals(0.5, ContinuationScore.logProbDifference(new double[] {-1, -0.5}, new double[] {-2}), 1e-12);
    }

    @Test
    void positiveLogProbIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> ContinuationScore.logProb(new double[] {-1, 0.1}));
    }

    @Test
    void emptyContinuationIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> ContinuationScore.logProb(new double[0]));
    }
}
