package io.steer4j.djl.generation;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Logits from overflowed activations fail clearly instead of yielding token 0 or an index of -1. */
class TokenSamplerNonFiniteTest {

    private static float[] filled(float value) {
        float[] logits = new float[5];
        Arrays.fill(logits, value);
        return logits;
    }

    @Test
    void greedyRefusesAllNaNLogits() {
        TokenSampler sampler = new TokenSampler(GenerationConfig.greedy(1));

        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> sampler.next(filled(Float.NaN), new boolean[5]));

        assertTrue(e.getMessage().contains("NaN") && e.getMessage().contains("steering strength"), e.getMessage());
    }

    @Test
    void samplingRefusesAllNaNLogits() {
        TokenSampler sampler = new TokenSampler(GenerationConfig.builder().sample().seed(1).build());

        assertThrows(IllegalStateException.class, () -> sampler.next(filled(Float.NaN), new boolean[5]));
    }

    @Test
    void samplingRefusesLogitsThatAreAllInfinite() {
        TokenSampler sampler = new TokenSampler(GenerationConfig.builder().sample().seed(1).build());

        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> sampler.next(filled(Float.POSITIVE_INFINITY), new boolean[5]));

        assertTrue(e.getMessage().contains("no logit is finite"), e.getMessage());
    }

    @Test
    void negativeInfinityMaskingSomeTokensStillSamples() {
        float[] logits = filled(Float.NEGATIVE_INFINITY);
        logits[3] = 0f;
        TokenSampler sampler = new TokenSampler(GenerationConfig.builder().sample().seed(1).build());

        assertEquals(3, sampler.next(logits, new boolean[5]));
    }

    @Test
    void greedyRefusesOneNaNAmongFiniteLogits() {
        TokenSampler sampler = new TokenSampler(GenerationConfig.greedy(1));
        for (int at : new int[] {0, 2, 4}) {
            float[] logits = {1f, 5f, 2f, 3f, 4f};
            logits[at] = Float.NaN;

            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> sampler.next(logits, new boolean[5]));

            assertTrue(e.getMessage().contains("token " + at), e.getMessage());
        }
    }

    @Test
    void greedyRefusesLogitsThatAreAllNegativeInfinity() {
        TokenSampler sampler = new TokenSampler(GenerationConfig.greedy(1));

        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> sampler.next(filled(Float.NEGATIVE_INFINITY), new boolean[5]));

        assertTrue(e.getMessage().contains("no logit is finite"), e.getMessage());
    }

    @Test
    void greedyPicksPositiveInfinityWhenOtherLogitsAreFinite() {
        float[] logits = {1f, 2f, Float.POSITIVE_INFINITY, 3f, Float.NEGATIVE_INFINITY};

        assertEquals(2, new TokenSampler(GenerationConfig.greedy(1)).next(logits, new boolean[5]));
    }

    @Test
    void greedySkipsMaskedTokensAndTakesTheFirstOfTiedMaxima() {
        float[] logits = {Float.NEGATIVE_INFINITY, 2f, 7f, 7f, Float.NEGATIVE_INFINITY};

        assertEquals(2, new TokenSampler(GenerationConfig.greedy(1)).next(logits, new boolean[5]));
    }
}
