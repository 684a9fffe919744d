package io.steer4j.core.plan;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 27 row 13: a strength whose added vector would drown the residual stream (1e20..1e38 used to be accepted
 * and decode token 0 forever) is refused with a message naming the strength, for every operator that adds.
 */
class SteeringStrengthTest {
    private static float[] unit(int n) {
        float[] v = new float[n];
        Arrays.fill(v, (float) (1 / Math.sqrt(n)));
        return v;
    }

    @Test
    void aStrengthOf1e20OnAUnitVectorIsRefusedNamingTheStrengthAndLayer() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Intervention.add(2, unit(64), 1e20));

        assertTrue(e.getMessage().contains("strength 1.0E20 at layer 2"), e.getMessage());
        assertTrue(e.getMessage().contains("1e+06"), e.getMessage());
    }

    @Test
    void theBoundIsOnTheAddedNormNotTheStrengthAlone() {
        float[] small = unit(64);
        for (int i = 0; i < small.length; i++) {
            small[i] *= 1e-3f;
        }

        assertDoesNotThrow(() -> Intervention.add(0, small, 5e8)); // adds a vector of norm 5e5
        assertThrows(IllegalArgumentException.class, () -> Intervention.add(0, unit(64), 5e8));
    }

    @Test
    void aClampTargetBeyondTheBoundIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new Intervention(0, HookPoint.RESID_POST, unit(8), 1e7,
                TokenScope.all(), InterventionOperator.CLAMP, false));
    }

    @Test
    void ablationIgnoresTheStrength() {
        assertDoesNotThrow(() -> new Intervention(0, HookPoint.RESID_POST, unit(8), 1e30,
                TokenScope.all(), InterventionOperator.ABLATE, false));
    }

    @Test
    void theMessageSuggestsTheLargestAcceptedStrength() {
        float[] v = unit(16); // norm 1
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SteeringStrength.check(1e39, v, "layer 0"));

        assertTrue(e.getMessage().contains("at most 1.00e+06"), e.getMessage());
        assertEquals(1e6, SteeringStrength.maxStrength(v), 1);
    }
}
