package io.steer4j.core.eval;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class PerplexityTest {
    @Test
    void uniformQuarterProbabilityHasPerplexityFour() {
        assertEquals(4.0, Perplexity.fromLogProbs(new double[] {Math.log(0.25), Math.log(0.25)}), 1e-12);
    }

    @Test
    void perplexityIsTheInverseGeometricMeanProbability() {
        // (0.5 · 0.125)^(-1/2) = (1/16)^(-1/2) = 4
        assertEquals(4.0, Perplexity.fromLogProbs(new double[] {Math.log(0.5), Math.log(0.125)}), 1e-12);
    }

    @Test
    void certainTokensHavePerplexityOne() {
        assertEquals(1.0, Perplexity.fromLogProbs(new double[] {0, 0, 0}), 1e-12);
    }

    @Test
    void anImpossibleTokenGivesInfinitePerplexity() {
        assertEquals(Double.POSITIVE_INFINITY, Perplexity.fromLogProbs(new double[] {-1, Double.NEGATIVE_INFINITY}));
    }

    @Test
    void emptySequenceIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> Perplexity.fromLogProbs(new double[0]));
    }
}
