package io.steer4j.djl.steering;

import ai.djl.ndarray.NDManager;
import io.steer4j.core.plan.HookPoint;
import io.steer4j.djl.hooks.HookSet;
import io.steer4j.djl.model.EncoderModel;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@link ActivationCapture} for encoders: texts in right-padded batches, one activation per text and layer read at
 * a {@link ReadPosition} ({@code [CLS]} is index 0, the mean covers every token, {@code [CLS]} and {@code [SEP]}
 * included, as sentence-transformers' mean pooling does). The pass stops after the highest requested layer.
 */
final class EncoderActivationCapture {
    private final EncoderModel model;
    private final HookPoint point;
    private final ReadPosition read;
    private final int batchSize;

    EncoderActivationCapture(EncoderModel model, HookPoint point, ReadPosition read, int batchSize) {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        }
        this.model = model;
        this.point = point;
        this.read = read;
        this.batchSize = batchSize;
    }

    /** Per layer, one row per text in input order. */
    Map<Integer, float[][]> capture(List<String> texts, Collection<Integer> layers, String label) {
        if (texts.isEmpty()) {
            throw new IllegalArgumentException("no texts to read activations from");
        }
        layers.forEach(model::checkLayer);
        int hidden = model.hiddenSize();
        Map<Integer, float[][]> out = new TreeMap<>();
        for (int l : layers) {
            out.put(l, new float[texts.size()][]);
        }
        int positions = model.config().maxPositions();
        for (int start = 0; start < texts.size(); start += batchSize) {
            int end = Math.min(texts.size(), start + batchSize);
            List<long[]> rows = new ArrayList<>();
            int[][] columns = new int[end - start][];
            for (int i = start; i < end; i++) {
                long[] ids = model.tokenizer().encode(texts.get(i));
                if (ids.length > positions) {
                    throw new IllegalArgumentException("text #" + (i + 1) + " of the " + label + " is " + ids.length
                            + " tokens long, more than the model's " + positions + " positions");
                }
                rows.add(ids);
                columns[i - start] = columnsToRead(texts.get(i), ids);
            }
            int t = rows.stream().mapToInt(r -> r.length).max().orElse(0);
            int base = start;
            HookSet.Builder hooks = HookSet.builder();
            for (int l : layers) {
                int layer = l;
                hooks.add(point, l, (site, x) -> {
                    float[] all = x.toFloatArray();
                    for (int r = 0; r < columns.length; r++) {
                        float[] v = new float[hidden];
                        for (int c : columns[r]) {
                            int off = (r * t + c) * hidden;
                            for (int d = 0; d < hidden; d++) {
                                v[d] += all[off + d];
                            }
                        }
                        for (int d = 0; d < hidden && columns[r].length > 1; d++) {
                            v[d] /= columns[r].length;
                        }
                        out.get(layer)[base + r] = v;
                    }
                    return x;
                });
            }
            try (NDManager m = model.newCallManager()) {
                model.runToLastHook(m, rows, hooks.build());
            }
        }
        return out;
    }

    private int[] columnsToRead(String text, long[] ids) {
        int len = ids.length;
        if (read instanceof ReadPosition.Mean) {
            int[] all = new int[len];
            for (int i = 0; i < len; i++) {
                all[i] = i;
            }
            return all;
        }
        int idx;
        if (read instanceof ReadPosition.At a) {
            idx = a.index();
        } else if (read instanceof ReadPosition.PerExample p) {
            idx = p.indexer().index(text, ids);
        } else if (read instanceof ReadPosition.Token named) {
            idx = NamedToken.indexIn(model.tokenizer(), named.token(), ids, text);
        } else {
            idx = len - 1;
        }
        int resolved = idx < 0 ? len + idx : idx;
        if (resolved < 0 || resolved >= len) {
            throw new IllegalArgumentException("read position " + idx + " is outside the " + len
                    + " tokens of example '" + text + "'");
        }
        return new int[] {resolved};
    }
}
