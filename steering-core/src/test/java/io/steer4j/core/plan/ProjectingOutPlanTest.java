package io.steer4j.core.plan;

import io.steer4j.core.vector.ConceptSubspace;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** SteeringPlan.projectingOut: one ablation per orthonormal direction, at every layer asked for. */
class ProjectingOutPlanTest {
    private final ConceptSubspace plane = ConceptSubspace.ofDirections(List.of(new float[] {1, 0, 0},
            new float[] {1, 1, 0}));

    @Test
    void eachLayerGetsOneAblationPerBasisDirectionInOrderOnEveryToken() {
        SteeringPlan plan = SteeringPlan.projectingOut(plane, HookPoint.RESID_POST, 2, 5);

        List<Intervention> list = plan.interventions();
        assertEquals(4, list.size());
        int[] layers = {2, 2, 5, 5};
        for (int k = 0; k < 4; k++) {
            Intervention i = list.get(k);
            assertEquals(layers[k], i.layer());
            assertEquals(HookPoint.RESID_POST, i.point());
            assertEquals(InterventionOperator.ABLATE, i.operator());
            assertEquals(TokenScope.Kind.ALL, i.scope().kind());
            assertArrayEquals(plane.direction(k % 2), i.direction());
        }
    }

    @Test
    void withoutALayerItIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> SteeringPlan.projectingOut(plane, HookPoint.RESID_POST));
    }
}
