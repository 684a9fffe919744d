package io.steer4j.djl.steering;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.steer4j.core.plan.HookPoint;
import io.steer4j.core.plan.Intervention;
import io.steer4j.core.plan.InterventionOperator;
import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.core.plan.TokenScope;
import io.steer4j.djl.hooks.ActivationHook;
import io.steer4j.djl.hooks.FloatActivationHook;
import io.steer4j.djl.hooks.HookSet;
import io.steer4j.djl.hooks.HookSite;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/**
 * A steering plan's hooks give the same activations on floats ({@link FloatActivationHook#applyInPlace}, what the
 * Vector API decode path runs) as on NDArrays ({@code apply}, what the libtorch pass runs), for every operator,
 * norm preservation and token scopes that leave some tokens alone.
 */
class PlanHooksOnFloatsTest {
    private static final int HIDDEN = 24;
    private static final int T = 5;

    static Stream<Intervention> interventions() {
        float[] v = random(HIDDEN, 3);
        return Stream.of(
                new Intervention(2, HookPoint.RESID_POST, v, 1.5, TokenScope.all(), InterventionOperator.ADD, false),
                new Intervention(2, HookPoint.RESID_POST, v, 1.0, TokenScope.all(), InterventionOperator.ABLATE, false),
                new Intervention(2, HookPoint.RESID_POST, v, 0.7, TokenScope.all(),
                        InterventionOperator.ADD_AFTER_ABLATE, false),
                new Intervention(2, HookPoint.RESID_POST, v, 2.0, TokenScope.all(), InterventionOperator.CLAMP, false),
                new Intervention(2, HookPoint.RESID_POST, v, 3.0, TokenScope.all(), InterventionOperator.ADD, true),
                new Intervention(2, HookPoint.RESID_POST, v, 1.5, TokenScope.generatedOnly(), InterventionOperator.ADD,
                        false),
                new Intervention(2, HookPoint.RESID_POST, v, 1.5, TokenScope.from(3), InterventionOperator.CLAMP, true));
    }

    @ParameterizedTest
    @MethodSource("interventions")
    void floatsAndNdArraysGiveTheSameActivations(Intervention i) {
        try (NDManager m = NDManager.newBaseManager()) {
            HookSet hooks = PlanHooks.build(List.of(SteeringPlan.builder().add(i).build()), m, HIDDEN);
            ActivationHook hook = hooks.at(HookPoint.RESID_POST, 2).get(0);
            FloatActivationHook onFloats = assertInstanceOf(FloatActivationHook.class, hook);
            long[][] positions = {{2, 3, 4, 5, 6}};
            HookSite site = new HookSite(HookPoint.RESID_POST, 2, 1, T, positions, new int[] {4}, m);
            float[] x = random(T * HIDDEN, 11);
            float[] expected = hook.apply(site, m.create(x, new Shape(1, T, HIDDEN))).toFloatArray();
            float[] actual = x.clone();
            onFloats.applyInPlace(site, actual);
            assertArrayEquals(expected, actual, 1e-5f);
        }
    }

    private static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
            f[i] = (float) r.nextGaussian();
        }
        return f;
    }
}
