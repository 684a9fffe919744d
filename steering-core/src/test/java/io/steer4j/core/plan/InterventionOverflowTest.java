package io.steer4j.core.plan;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Plans whose float32 arithmetic would overflow are refused when built, not discovered as NaN logits. */
class InterventionOverflowTest {

    private static float[] filled(float value) {
        float[] v = new float[8];
        Arrays.fill(v, value);
        return v;
    }

    @Test
    void strengthTimesDirectionBeyondFloatRangeIsRefused() {
        // the stress run's plan: each factor is a finite float, their product (1e38) times 1e2 is not
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Intervention.add(3, filled(1e18f), 1e22));

        assertTrue(e.getMessage().contains("strength 1.0E22 at layer 3"), e.getMessage());
    }

    @Test
    void directionWhoseSquaredNormOverflowsFloatIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Intervention.add(0, filled(1e20f), 1e-30));

        assertTrue(e.getMessage().contains("squared norm"), e.getMessage());
    }

    @Test
    void scalingAPlanPastFloatRangeIsRefused() {
        SteeringPlan plan = SteeringPlan.builder().add(Intervention.add(1, filled(1f), 2)).build();

        assertThrows(IllegalArgumentException.class, () -> plan.scaled(1e20));
    }

    @Test
    void aStrengthJustWithinTheAddedNormBoundIsAccepted() {
        // ‖filled(1)‖ = √8, so the bound is 1e6 / √8
        double s = SteeringStrength.MAX_ADDED_NORM / Math.sqrt(8) * 0.999;

        Intervention i = Intervention.add(0, filled(1f), s);

        assertEquals(s, i.strength());
    }
}
