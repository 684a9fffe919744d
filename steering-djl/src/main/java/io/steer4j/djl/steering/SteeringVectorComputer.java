package io.steer4j.djl.steering;

import io.steer4j.core.dataset.ContrastiveDataset;
import io.steer4j.core.hook.HookPoint;
import io.steer4j.core.vector.ActivationMatrix;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.core.vector.SteeringVectors;
import io.steer4j.core.vector.VectorMetadata;
import io.steer4j.core.vector.VectorMethod;
import io.steer4j.djl.model.LanguageModel;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.IntStream;

/**
 * Computes a steering vector from contrastive pairs: runs positives and negatives through the model in batches,
 * reads the activation at the chosen hook point and read position for every requested layer in one pass, and
 * reduces them with a {@link VectorMethod} (mean difference by default).
 *
 * <pre>{@code
 * SteeringVector v = SteeringVectorComputer.builder(model)
 *     .layers(4, 5, 6)
 *     .method(VectorMethod.MEAN_DIFFERENCE)
 *     .build()
 *     .compute(ContrastiveDatasets.load(Path.of("sentiment.json")))
 *     .vector();
 * }</pre>
 */
public final class SteeringVectorComputer {
    private final LanguageModel model;
    private final List<Integer> layers;
    private final HookPoint point;
    private final ReadPosition read;
    private final VectorMethod method;
    private final int batchSize;
    private final boolean progress;
    private final boolean keepActivations;

    private SteeringVectorComputer(Builder b) {
        this.model = b.model;
        this.layers = b.layers == null ? IntStream.range(0, model.numLayers()).boxed().toList() : b.layers;
        this.point = b.point;
        this.read = b.read;
        this.method = b.method;
        this.batchSize = b.batchSize;
        this.progress = b.progress;
        this.keepActivations = b.keepActivations;
        layers.forEach(model::checkLayer);
    }

    /**
     * @param model the model whose activations are read
     * @return a builder with the defaults listed on {@link Builder}
     */
    public static Builder builder(LanguageModel model) {
        return new Builder(model);
    }

    /**
     * Computes the vector.
     *
     * @throws IllegalArgumentException when the dataset is empty
     */
    public SteeringVectorResult compute(ContrastiveDataset dataset) {
        if (dataset.size() == 0) {
            throw new IllegalArgumentException("dataset '" + dataset.name() + "' is empty");
        }
        ActivationCapture capture = new ActivationCapture(model, point, read, batchSize, progress);
        Map<Integer, float[][]> pos = capture.capture(dataset.positives(), layers, "positives");
        Map<Integer, float[][]> neg = capture.capture(dataset.negatives(), layers, "negatives");
        Map<Integer, ActivationMatrix> p = new TreeMap<>();
        Map<Integer, ActivationMatrix> n = new TreeMap<>();
        for (int l : layers) {
            p.put(l, ActivationMatrix.ofRows(List.of(pos.get(l))));
            n.put(l, ActivationMatrix.ofRows(List.of(neg.get(l))));
        }
        VectorMetadata meta = VectorMetadata.builder()
                .modelId(model.modelId())
                .hiddenSize(model.hiddenSize())
                .hookPoint(point)
                .readPosition(read.id())
                .createdAt(Instant.now())
                .note("dataset", dataset.name())
                .build();
        SteeringVector v = SteeringVectors.fromActivations(p, n, method, meta);
        return keepActivations ? new SteeringVectorResult(v, p, n) : new SteeringVectorResult(v, Map.of(), Map.of());
    }

    /** Options; defaults: every layer, resid_post, last token, mean difference, batch 8, no progress bar. */
    public static final class Builder {
        private final LanguageModel model;
        private List<Integer> layers;
        private HookPoint point = HookPoint.RESID_POST;
        private ReadPosition read = ReadPosition.last();
        private VectorMethod method = VectorMethod.MEAN_DIFFERENCE;
        private int batchSize = 8;
        private boolean progress;
        private boolean keepActivations = true;

        private Builder(LanguageModel model) {
            this.model = model;
        }

        /**
         * @param ls the layers to compute directions for (0-based, {@code resid_post} numbering)
         * @return this builder
         */
        public Builder layers(int... ls) {
            List<Integer> list = new ArrayList<>();
            for (int l : ls) {
                list.add(l);
            }
            return layers(list);
        }

        /**
         * @param ls the layers to compute directions for, at least one
         * @return this builder
         */
        public Builder layers(List<Integer> ls) {
            if (ls.isEmpty()) {
                throw new IllegalArgumentException("at least one layer is needed");
            }
            this.layers = List.copyOf(ls);
            return this;
        }

        /**
         * @param p where in each layer activations are read (default {@code resid_post})
         * @return this builder
         */
        public Builder hookPoint(HookPoint p) {
            this.point = p;
            return this;
        }

        /**
         * @param r which token stands for an example (default the last)
         * @return this builder
         */
        public Builder readPosition(ReadPosition r) {
            this.read = r;
            return this;
        }

        /**
         * @param m how directions are derived from the activations (default mean difference)
         * @return this builder
         */
        public Builder method(VectorMethod m) {
            this.method = m;
            return this;
        }

        /**
         * @param n examples per forward pass (default 8)
         * @return this builder
         */
        public Builder batchSize(int n) {
            this.batchSize = n;
            return this;
        }

        /**
         * @param show whether to draw a progress bar on the terminal
         * @return this builder
         */
        public Builder showProgress(boolean show) {
            this.progress = show;
            return this;
        }

        /**
         * @param keep whether the result keeps the per-example activations (default yes; off saves memory)
         * @return this builder
         */
        public Builder keepActivations(boolean keep) {
            this.keepActivations = keep;
            return this;
        }

        /**
         * @return the computer
         */
        public SteeringVectorComputer build() {
            return new SteeringVectorComputer(this);
        }
    }
}
