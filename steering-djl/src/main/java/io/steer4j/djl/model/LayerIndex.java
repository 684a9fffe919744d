package io.steer4j.djl.model;

/** The one check of a layer number against a model's block count, for decoders and encoders alike. */
final class LayerIndex {
    private LayerIndex() {
    }

    /** @throws IllegalArgumentException naming the layer and the valid range when there is no such layer */
    static void check(int layer, int numLayers) {
        if (layer < 0 || layer >= numLayers) {
            throw new IllegalArgumentException("layer " + layer + " is out of range: the model has "
                    + numLayers + " layers (0.." + (numLayers - 1) + ")");
        }
    }
}
