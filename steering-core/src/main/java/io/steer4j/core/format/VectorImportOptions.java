package io.steer4j.core.format;

import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * What a vector file from another tool may leave unsaid, supplied by the caller: the layer (or layers) of a file
 * holding one bare direction, the model's layer count (to map layer ids counted from the end, as older repeng's
 * are), and the model id. Immutable; start from {@link #defaults()}.
 *
 * <pre>{@code
 * VectorImportOptions opts = VectorImportOptions.defaults().withLayer(6).withModelLayerCount(32);
 * SteeringVector v = VectorFiles.read(Path.of("helpfulness_vector.pt"), opts);
 * }</pre>
 *
 * @param layers          steer4j layers ({@code resid_post}) for a file holding a single direction, which is placed
 *                        at each of them (as EasySteer's {@code pt_direction} does); empty to take the layer from
 *                        the file name ({@code vec_layer_L_MODEL.pt}, CAA's pattern) or refuse
 * @param modelLayerCount the model's number of blocks, to turn a negative layer id {@code -k} into
 *                        {@code count - k}; empty to refuse negative ids
 * @param modelId         overrides the model id the file records (or that is missing); empty to keep the file's
 */
public record VectorImportOptions(List<Integer> layers, OptionalInt modelLayerCount, String modelId) {
    /** Validates and copies. */
    public VectorImportOptions {
        layers = List.copyOf(Objects.requireNonNull(layers, "layers"));
        Objects.requireNonNull(modelLayerCount, "modelLayerCount");
        Objects.requireNonNull(modelId, "modelId (use \"\" to keep the file's)");
        for (int l : layers) {
            if (l < 0) {
                throw new IllegalArgumentException("layer must be >= 0, got " + l);
            }
        }
        if (layers.stream().distinct().count() != layers.size()) {
            throw new IllegalArgumentException("layers repeat: " + layers);
        }
        if (modelLayerCount.isPresent() && modelLayerCount.getAsInt() <= 0) {
            throw new IllegalArgumentException("modelLayerCount must be positive, got " + modelLayerCount.getAsInt());
        }
    }

    /** No layer, no layer count, the file's model id. */
    public static VectorImportOptions defaults() {
        return new VectorImportOptions(List.of(), OptionalInt.empty(), "");
    }

    /** The same options with the layer for a single bare direction. */
    public VectorImportOptions withLayer(int layer) {
        return withLayers(List.of(layer));
    }

    /** The same options with the layers a single bare direction is placed at (each gets the same direction). */
    public VectorImportOptions withLayers(List<Integer> layers) {
        return new VectorImportOptions(layers, modelLayerCount, modelId);
    }

    /** The same options with the model's block count, for layer ids counted from the end. */
    public VectorImportOptions withModelLayerCount(int count) {
        return new VectorImportOptions(layers, OptionalInt.of(count), modelId);
    }

    /** The same options with a model id that replaces the file's. */
    public VectorImportOptions withModelId(String id) {
        return new VectorImportOptions(layers, modelLayerCount, id);
    }
}
