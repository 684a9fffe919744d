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
            HookSet.Builder hooks = HookSet.builder();
            for (int l : layers) {
                hooks.add(point, l, ColumnMeanReader.into(out.get(l), start, columns, t, hidden));
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
        return new int[] {ReadIndex.of(read, text, ids, model.tokenizer())};
    }
}
