package io.steer4j.spark;

import io.steer4j.core.vector.PairStatistics;

import java.io.Serializable;
import java.util.TreeMap;

/**
 * The statistics of one part of the pairs for every requested layer, with the facts of the model that produced
 * them; what an extraction task returns and what the driver reduces. Empty parts (a partition without rows) carry
 * no model facts and merge as the identity.
 */
final class LayerStatistics implements Serializable {
    private static final long serialVersionUID = 1L;

    final TreeMap<Integer, PairStatistics> perLayer = new TreeMap<>();
    String modelId;
    int hiddenSize;

    /** Adds {@code other}'s statistics to these (an accumulator, like {@link PairStatistics}); returns this. */
    LayerStatistics merge(LayerStatistics other) {
        if (other.modelId == null) {
            return this;
        }
        if (modelId == null) {
            modelId = other.modelId;
            hiddenSize = other.hiddenSize;
        } else if (!modelId.equals(other.modelId) || hiddenSize != other.hiddenSize) {
            throw new IllegalStateException("executors loaded different models: '" + modelId + "' (hidden "
                    + hiddenSize + ") and '" + other.modelId + "' (hidden " + other.hiddenSize + ")");
        }
        other.perLayer.forEach((layer, s) -> perLayer.merge(layer, s, PairStatistics::merge));
        return this;
    }

    long pairs() {
        return perLayer.isEmpty() ? 0 : perLayer.firstEntry().getValue().pairs();
    }
}
