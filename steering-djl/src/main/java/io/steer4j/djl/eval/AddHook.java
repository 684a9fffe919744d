package io.steer4j.djl.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.steer4j.core.plan.TokenScope;
import io.steer4j.djl.hooks.ActivationHook;
import io.steer4j.djl.hooks.HookSite;

/**
 * Adds {@code strength × direction} to every row at the token positions {@code scope} covers (the same arithmetic
 * as an {@code ADD} intervention of a {@link io.steer4j.core.plan.SteeringPlan}). The direction is pre-scaled
 * once; each forward call creates its small constant in the call's manager.
 */
final class AddHook implements ActivationHook {
    private final float[] scaled;
    private final TokenScope scope;

    AddHook(float[] direction, double strength, TokenScope scope) {
        this.scaled = new float[direction.length];
        for (int d = 0; d < direction.length; d++) {
            scaled[d] = (float) (strength * direction[d]);
        }
        this.scope = scope;
    }

    @Override
    public NDArray apply(HookSite site, NDArray x) {
        NDArray v = site.manager().create(scaled, new Shape(1, 1, scaled.length));
        if (v.getDataType() != x.getDataType()) {
            v = v.toType(x.getDataType(), false);
        }
        if (scope.kind() == TokenScope.Kind.ALL) {
            return x.add(v);
        }
        int b = site.batchSize();
        int t = site.queryLength();
        float[] m = new float[b * t];
        for (int r = 0; r < b; r++) {
            for (int k = 0; k < t; k++) {
                m[r * t + k] = scope.covers(site.positions()[r][k], site.promptLengths()[r]) ? 1f : 0f;
            }
        }
        NDArray mask = site.manager().create(m, new Shape(b, t, 1));
        if (mask.getDataType() != x.getDataType()) {
            mask = mask.toType(x.getDataType(), false);
        }
        return x.add(mask.mul(v));
    }
}
