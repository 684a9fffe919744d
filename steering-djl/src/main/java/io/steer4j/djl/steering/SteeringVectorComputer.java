package io.steer4j.djl.steering;

import io.steer4j.core.dataset.ContrastiveDataset;
import io.steer4j.core.plan.HookPoint;
import io.steer4j.core.vector.ActivationMatrix;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.core.vector.SteeringVectors;
import io.steer4j.core.vector.VectorMetadata;
import io.steer4j.core.vector.VectorMethod;
import io.steer4j.djl.generation.PromptText;
import io.steer4j.djl.model.EncoderModel;
import io.steer4j.djl.model.LanguageModel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
    /**
     * No token of a supported vocabulary spans more characters than this, so a text longer than
     * {@code contextLength × MAX_CHARS_PER_TOKEN} cannot fit in the context and is refused without tokenizing it.
     */
    public static final int MAX_CHARS_PER_TOKEN = PromptText.MAX_CHARS_PER_TOKEN;
    private static final Logger LOG = LoggerFactory.getLogger(SteeringVectorComputer.class);
    /** The decoder whose activations are read, or null when {@link #encoder} is set. */
    private final LanguageModel model;
    private final EncoderModel encoder;
    private final List<Integer> layers;
    private final HookPoint point;
    private final ReadPosition read;
    private final VectorMethod method;
    private final int batchSize;
    private final boolean progress;
    private final boolean keepActivations;

    private SteeringVectorComputer(Builder b) {
        this.model = b.model;
        this.encoder = b.encoder;
        int numLayers = model != null ? model.numLayers() : encoder.numLayers();
        ExtractionSettings settings = b.settings;
        this.layers = settings.layers() == null ? IntStream.range(0, numLayers).boxed().toList() : settings.layers();
        this.point = settings.hookPoint();
        this.read = settings.readPosition();
        this.method = settings.method();
        this.batchSize = settings.batchSize();
        this.progress = b.progress;
        this.keepActivations = b.keepActivations;
        layers.forEach(model != null ? model::checkLayer : encoder::checkLayer);
    }

    /**
     * @param model the model whose activations are read
     * @return a builder with the defaults listed on {@link Builder}
     */
    public static Builder builder(LanguageModel model) {
        return new Builder(java.util.Objects.requireNonNull(model, "model"), null);
    }

    /**
     * A computer over a BERT encoder's activations: the same layers, hook points and methods, read at
     * {@link ReadPosition#cls()}, {@link ReadPosition#mean()} (every token, as sentence-transformers pools) or a
     * named token ({@link ReadPosition#token(String)}, e.g. {@code [MASK]}); texts get {@code [CLS]} and
     * {@code [SEP]}.
     *
     * @param encoder the encoder whose activations are read
     * @return a builder with the defaults listed on {@link Builder} (the read position included: set one)
     */
    public static Builder builder(EncoderModel encoder) {
        return new Builder(null, java.util.Objects.requireNonNull(encoder, "encoder"));
    }

    /**
     * The longest text, in characters, that could fit in the model's context; longer dataset texts are refused
     * before tokenizing (pass it to {@code ContrastiveDatasets.load(file, positiveKey, maxTextChars)} to have the
     * file and line named).
     *
     * @param model the model
     * @return {@code contextLength × MAX_CHARS_PER_TOKEN}, capped at {@link Integer#MAX_VALUE}
     */
    public static int maxTextChars(LanguageModel model) {
        return PromptText.maxChars(model);
    }

    /**
     * Computes the vector. Pairs whose two texts are identical contribute nothing and are reported in a warning, as
     * is a layer whose direction comes out as zero (e.g. all pairs identical).
     *
     * @param dataset the contrastive pairs
     * @return the vector, with the activations it came from unless {@link Builder#keepActivations} was off
     * @throws IllegalArgumentException when the dataset is empty, or a text is longer than the model's context
     *                                  (naming the dataset, the pair and its side)
     */
    public SteeringVectorResult compute(ContrastiveDataset dataset) {
        if (dataset.size() == 0) {
            throw new IllegalArgumentException("dataset '" + dataset.name() + "' is empty");
        }
        List<Integer> identical = new ArrayList<>();
        for (int i = 0; i < dataset.size(); i++) {
            if (dataset.pairs().get(i).positive().equals(dataset.pairs().get(i).negative())) {
                identical.add(i + 1);
            }
        }
        if (!identical.isEmpty()) {
            LOG.warn("dataset '{}': {} of {} pairs have identical positive and negative texts and add nothing to the"
                    + " vector (pairs {})", dataset.name(), identical.size(), dataset.size(),
                    identical.size() > 10 ? identical.subList(0, 10) + "..." : identical);
        }
        Map<Integer, float[][]> pos;
        Map<Integer, float[][]> neg;
        try {
            if (model != null) {
                ActivationCapture capture = new ActivationCapture(model, point, read, batchSize, progress);
                pos = capture.capture(dataset.positives(), layers, "positives");
                neg = capture.capture(dataset.negatives(), layers, "negatives");
            } else {
                EncoderActivationCapture capture = new EncoderActivationCapture(encoder, point, read, batchSize);
                pos = capture.capture(dataset.positives(), layers, "positives");
                neg = capture.capture(dataset.negatives(), layers, "negatives");
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("dataset '" + dataset.name() + "' (text #N of either side is pair N): "
                    + e.getMessage(), e);
        }
        Map<Integer, ActivationMatrix> p = new TreeMap<>();
        Map<Integer, ActivationMatrix> n = new TreeMap<>();
        for (int l : layers) {
            p.put(l, ActivationMatrix.ofRows(List.of(pos.get(l))));
            n.put(l, ActivationMatrix.ofRows(List.of(neg.get(l))));
        }
        VectorMetadata meta = VectorMetadata.builder()
                .modelId(model != null ? model.modelId() : encoder.modelId())
                .hiddenSize(model != null ? model.hiddenSize() : encoder.hiddenSize())
                .hookPoint(point)
                .readPosition(read.id())
                .createdAt(Instant.now())
                .note("dataset", dataset.name())
                .build();
        SteeringVector v = SteeringVectors.fromActivations(p, n, method, meta);
        for (int l : v.layers()) {
            if (v.norm(l) == 0) {
                LOG.warn("dataset '{}': the direction at layer {} is zero (positives and negatives read the same"
                        + " activations); steering with it changes nothing", dataset.name(), l);
            }
        }
        return keepActivations ? new SteeringVectorResult(v, p, n) : new SteeringVectorResult(v, Map.of(), Map.of());
    }

    /**
     * Options; defaults: every layer, resid_post, last token, mean difference, batch 8 ({@link ExtractionSettings},
     * whose checks every setting here goes through), no progress bar.
     */
    public static final class Builder {
        private final LanguageModel model;
        private final EncoderModel encoder;
        private ExtractionSettings settings = ExtractionSettings.DEFAULTS;
        private boolean progress;
        private boolean keepActivations = true;

        private Builder(LanguageModel model, EncoderModel encoder) {
            this.model = model;
            this.encoder = encoder;
        }

        /**
         * @param ls the layers to compute directions for (0-based, {@code resid_post} numbering)
         * @return this builder
         */
        public Builder layers(int... ls) {
            settings = settings.withLayers(ls);
            return this;
        }

        /**
         * @param ls the layers to compute directions for, at least one
         * @return this builder
         */
        public Builder layers(List<Integer> ls) {
            settings = settings.withLayers(ls);
            return this;
        }

        /**
         * @param p where in each layer activations are read (default {@code resid_post})
         * @return this builder
         */
        public Builder hookPoint(HookPoint p) {
            settings = settings.withHookPoint(p);
            return this;
        }

        /**
         * @param r which token stands for an example (default the last)
         * @return this builder
         */
        public Builder readPosition(ReadPosition r) {
            settings = settings.withReadPosition(r);
            return this;
        }

        /**
         * @param m how directions are derived from the activations (default mean difference)
         * @return this builder
         */
        public Builder method(VectorMethod m) {
            settings = settings.withMethod(m);
            return this;
        }

        /**
         * @param n examples per forward pass (default 8), at least one
         * @return this builder
         */
        public Builder batchSize(int n) {
            settings = settings.withBatchSize(n);
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
