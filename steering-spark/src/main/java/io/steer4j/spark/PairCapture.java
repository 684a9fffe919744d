package io.steer4j.spark;

import io.steer4j.core.plan.HookPoint;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.steering.ActivationCapture;
import io.steer4j.djl.steering.ReadPosition;
import org.apache.spark.api.java.function.FlatMapFunction;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * The executor side of extraction: turns a partition's pairs into {@link CapturedBatch}es, one forward pass of
 * positives and one of negatives per batch, through the library's own {@link ActivationCapture} (so tokenization
 * and read positions are exactly those of the single-machine {@code SteeringVectorComputer}). Batches are produced
 * lazily, so a partition never holds more than one batch of activations unless its consumer keeps them.
 */
final class PairCapture implements FlatMapFunction<Iterator<PairRow>, CapturedBatch> {
    private static final long serialVersionUID = 1L;

    private final String modelRef;
    private final List<Integer> layers;
    private final HookPoint point;
    private final String readPosition;
    private final int batchSize;

    PairCapture(String modelRef, List<Integer> layers, HookPoint point, String readPosition, int batchSize) {
        this.modelRef = modelRef;
        this.layers = List.copyOf(layers);
        this.point = point;
        this.readPosition = readPosition;
        this.batchSize = batchSize;
    }

    @Override
    public Iterator<CapturedBatch> call(Iterator<PairRow> rows) {
        if (!rows.hasNext()) {
            return java.util.Collections.emptyIterator();
        }
        ActivationCapture capture;
        String modelId;
        int hidden;
        if (ExecutorModels.isEncoder(modelRef)) {
            io.steer4j.djl.model.EncoderModel encoder = ExecutorModels.encoder(modelRef);
            capture = new ActivationCapture(encoder, point, ReadPosition.parse(readPosition), batchSize);
            modelId = encoder.modelId();
            hidden = encoder.hiddenSize();
        } else {
            LanguageModel model = ExecutorModels.model(modelRef);
            capture = new ActivationCapture(model, point, ReadPosition.parse(readPosition), batchSize, false);
            modelId = model.modelId();
            hidden = model.hiddenSize();
        }
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return rows.hasNext();
            }

            @Override
            public CapturedBatch next() {
                if (!rows.hasNext()) {
                    throw new NoSuchElementException();
                }
                List<PairRow> batch = new ArrayList<>(batchSize);
                while (rows.hasNext() && batch.size() < batchSize) {
                    batch.add(check(rows.next()));
                }
                List<String> pos = batch.stream().map(PairRow::positive).toList();
                List<String> neg = batch.stream().map(PairRow::negative).toList();
                Map<Integer, float[][]> p = captureNaming(capture, pos, batch, "positive");
                Map<Integer, float[][]> n = captureNaming(capture, neg, batch, "negative");
                return new CapturedBatch(modelId, hidden, p, n);
            }
        };
    }

    /** Captures one side; a failure that names a text's index in the batch is reported with that row's identity. */
    private Map<Integer, float[][]> captureNaming(ActivationCapture capture, List<String> texts, List<PairRow> batch,
                                                  String side) {
        try {
            return capture.capture(texts, layers, side + "s");
        } catch (IllegalArgumentException e) {
            // Find the offending row by running the rows one at a time: rare, and exact about which row it is.
            for (PairRow r : batch) {
                try {
                    capture.capture(List.of(side.equals("positive") ? r.positive() : r.negative()), layers, side);
                } catch (IllegalArgumentException single) {
                    throw new BadRowException(r.identity(), side + " text: " + single.getMessage(), single);
                }
            }
            throw e;
        }
    }

    private static PairRow check(PairRow r) {
        BadRowException.requireText(r.identity(), r.positive(), "positive text");
        BadRowException.requireText(r.identity(), r.negative(), "negative text");
        return r;
    }
}
