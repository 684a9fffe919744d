package io.steer4j.djl.steering;

import io.steer4j.core.plan.HookPoint;
import io.steer4j.core.vector.VectorMethod;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What a steering-vector computation reads and how it reduces it: the layers, the hook point, the read position,
 * the {@link VectorMethod} and the texts per forward pass. The single-machine {@link SteeringVectorComputer} and
 * steer4j-spark's {@code SparkVectorComputer} take the same options with the same checks through this record; each
 * adds its own (the Spark one refuses what cannot be shipped to executors or merged across partitions).
 *
 * <pre>{@code
 * ExtractionSettings s = ExtractionSettings.DEFAULTS.withLayers(List.of(4, 5, 6)).withBatchSize(16);
 * }</pre>
 *
 * @param layers       the layers to compute directions for (0-based, {@code resid_post} numbering), or null for
 *                     every layer of the model
 * @param hookPoint    where in each layer activations are read
 * @param readPosition which token stands for an example
 * @param method       how directions are derived from the activations
 * @param batchSize    texts per forward pass
 */
public record ExtractionSettings(List<Integer> layers, HookPoint hookPoint, ReadPosition readPosition,
                                 VectorMethod method, int batchSize) {

    /** Every layer, {@code resid_post}, the last token, mean difference, 8 texts per forward pass. */
    public static final ExtractionSettings DEFAULTS = new ExtractionSettings(null, HookPoint.RESID_POST,
            ReadPosition.last(), VectorMethod.MEAN_DIFFERENCE, 8);

    /**
     * @throws IllegalArgumentException when {@code layers} is empty or {@code batchSize} is not positive
     * @throws NullPointerException     when the hook point, read position, method or a layer is null
     */
    public ExtractionSettings {
        if (layers != null) {
            if (layers.isEmpty()) {
                throw new IllegalArgumentException("at least one layer is needed");
            }
            layers = List.copyOf(layers);
        }
        Objects.requireNonNull(hookPoint, "hook point");
        Objects.requireNonNull(readPosition, "read position");
        Objects.requireNonNull(method, "method");
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        }
    }

    /** The layers as given ({@code int...}), at least one. */
    public ExtractionSettings withLayers(int... ls) {
        List<Integer> list = new ArrayList<>(ls.length);
        for (int l : ls) {
            list.add(l);
        }
        return withLayers(list);
    }

    /** The layers, at least one. */
    public ExtractionSettings withLayers(List<Integer> ls) {
        return new ExtractionSettings(Objects.requireNonNull(ls, "layers"), hookPoint, readPosition, method,
                batchSize);
    }

    /** Where in each layer activations are read. */
    public ExtractionSettings withHookPoint(HookPoint p) {
        return new ExtractionSettings(layers, p, readPosition, method, batchSize);
    }

    /** Which token stands for an example. */
    public ExtractionSettings withReadPosition(ReadPosition r) {
        return new ExtractionSettings(layers, hookPoint, r, method, batchSize);
    }

    /** How directions are derived from the activations. */
    public ExtractionSettings withMethod(VectorMethod m) {
        return new ExtractionSettings(layers, hookPoint, readPosition, m, batchSize);
    }

    /** Texts per forward pass, at least one. */
    public ExtractionSettings withBatchSize(int n) {
        return new ExtractionSettings(layers, hookPoint, readPosition, method, n);
    }
}
