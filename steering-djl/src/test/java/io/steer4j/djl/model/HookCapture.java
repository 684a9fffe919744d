package io.steer4j.djl.model;

import ai.djl.ndarray.NDManager;
import io.steer4j.core.plan.HookPoint;
import io.steer4j.djl.hooks.HookSet;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Test helper for parity tests: one forward pass capturing hook points at every layer, plus all logits. */
final class HookCapture {
    private HookCapture() {
    }

    /**
     * What one pass saw.
     *
     * @param activations per hook point, per layer, the flat [tokens * hidden] activation
     * @param logits      flat [tokens * vocab]
     */
    record Captured(Map<HookPoint, float[][]> activations, float[] logits) {
    }

    static Captured run(LanguageModel model, long[] ids, List<HookPoint> points) {
        Map<HookPoint, float[][]> captured = new EnumMap<>(HookPoint.class);
        HookSet.Builder hooks = HookSet.builder();
        for (HookPoint p : points) {
            captured.put(p, new float[model.numLayers()][]);
            for (int l = 0; l < model.numLayers(); l++) {
                final int layer = l;
                hooks.add(p, l, (site, x) -> {
                    captured.get(p)[layer] = x.toFloatArray();
                    return x;
                });
            }
        }
        try (NDManager m = model.newCallManager()) {
            float[] logits = model.forward(ForwardInput.leftPadded(m, List.of(ids), 0, new int[] {ids.length}), null,
                    hooks.build(), LogitsMode.ALL).toFloatArray();
            return new Captured(captured, logits);
        }
    }

    /** Last-position logits of a golden left-padded batch, flat [rows * vocab]. */
    static float[] batchLastLogits(LanguageModel model, io.steer4j.fixtures.Goldens.Batch b) {
        List<long[]> rows = new java.util.ArrayList<>();
        for (int[] r : b.rows()) {
            rows.add(toLong(r));
        }
        int[] lens = rows.stream().mapToInt(r -> r.length).toArray();
        try (NDManager m = model.newCallManager()) {
            return model.forward(ForwardInput.leftPadded(m, rows, b.padTokenId(), lens), null, HookSet.NONE,
                    LogitsMode.LAST).toFloatArray();
        }
    }

    static double maxAbsDiff(float[][] expected, float[] actualFlat, String what) {
        int d = expected[0].length;
        assertEquals(expected.length * d, actualFlat.length, what + " size");
        double max = 0;
        for (int t = 0; t < expected.length; t++) {
            for (int i = 0; i < d; i++) {
                max = Math.max(max, Math.abs(expected[t][i] - actualFlat[t * d + i]));
            }
        }
        return max;
    }

    static long[] toLong(int[] a) {
        long[] out = new long[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i];
        }
        return out;
    }
}
