package io.steer4j.djl.steering;

import ai.djl.ndarray.NDManager;
import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.djl.hooks.HookSet;

import java.util.List;

/** Opens {@link PlanHooks} to tests of other packages (engine parity runs plans below {@link SteeredModel}). */
public final class PlanHooksForTests {
    private PlanHooksForTests() {
    }

    /** The hooks {@link SteeredModel} builds for one row steered by {@code plan}. */
    public static HookSet hooks(SteeringPlan plan, NDManager consts, int hidden) {
        return PlanHooks.build(List.of(plan), consts, hidden);
    }
}
