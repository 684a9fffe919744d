package io.steer4j.djl.steering;

import ai.djl.ndarray.NDManager;
import io.steer4j.core.plan.HookPoint;
import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.djl.hooks.HookSet;
import io.steer4j.djl.model.ForwardInput;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.model.LogitsMode;

import java.util.List;

/** Test helper: reads resid_post at a layer after a plan has been applied there (a capture hook runs last). */
final class ProjectionProbe {
    private ProjectionProbe() {
    }

    static float[][] residPost(LanguageModel model, String text, SteeringPlan plan, int layer) {
        long[] ids = model.tokenizer().encode(text);
        float[][] out = new float[ids.length][];
        try (NDManager m = model.newCallManager()) {
            HookSet planHooks = PlanHooks.build(List.of(plan), m, model.hiddenSize());
            HookSet capture = HookSet.builder().add(HookPoint.RESID_POST, layer, (site, x) -> {
                float[] all = x.toFloatArray();
                int d = model.hiddenSize();
                for (int t = 0; t < ids.length; t++) {
                    out[t] = java.util.Arrays.copyOfRange(all, t * d, (t + 1) * d);
                }
                return x;
            }).build();
            model.forward(ForwardInput.leftPadded(m, List.of(ids), 0, new int[] {ids.length}), null,
                    planHooks.and(capture), LogitsMode.NONE);
        }
        return out;
    }

    static double[] projections(LanguageModel model, String text, SteeringPlan plan, int layer, float[] dir) {
        float[][] h = residPost(model, text, plan, layer);
        double n = 0;
        for (float f : dir) {
            n += (double) f * f;
        }
        n = Math.sqrt(n);
        double[] out = new double[h.length];
        for (int t = 0; t < h.length; t++) {
            double dot = 0;
            for (int i = 0; i < dir.length; i++) {
                dot += (double) h[t][i] * dir[i];
            }
            out[t] = dot / n;
        }
        return out;
    }

    static double[] norms(LanguageModel model, String text, SteeringPlan plan, int layer) {
        float[][] h = residPost(model, text, plan, layer);
        double[] out = new double[h.length];
        for (int t = 0; t < h.length; t++) {
            double s = 0;
            for (float f : h[t]) {
                s += (double) f * f;
            }
            out[t] = Math.sqrt(s);
        }
        return out;
    }
}
