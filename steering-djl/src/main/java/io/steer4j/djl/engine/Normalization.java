package io.steer4j.djl.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.norm.LayerNorm;

/**
 * A model's norm: its kind and epsilon, applied over the last axis with a layer's weight (and bias, for LayerNorm),
 * in the two forms the engines need.
 *
 * @param kind LayerNorm or RMSNorm
 * @param eps  added to the variance (LayerNorm) or the mean square (RMSNorm)
 */
public record Normalization(NormKind kind, float eps) {
    /** Validates the fields. */
    public Normalization {
        if (kind == null) {
            throw new IllegalArgumentException("a norm needs a kind");
        }
    }

    /**
     * The norm of {@code x} ({@code [..., d]}) on libtorch. With {@code half} (float16 activations), RMSNorm's
     * statistics are taken in float32, as {@code LlamaRMSNorm} upcasts; the weight is applied after the cast back.
     */
    public NDArray apply(NDArray x, NDArray weight, NDArray bias, boolean half) {
        if (kind == NormKind.LAYER_NORM) {
            return LayerNorm.layerNorm(x, weight.getShape(), weight, bias, eps).singletonOrThrow();
        }
        NDArray x32 = half ? x.toType(DataType.FLOAT32, false) : x;
        NDArray rms = x32.square().mean(new int[] {-1}, true).addi(eps).sqrt();
        NDArray normed = x32.div(rms);
        return (half ? normed.toType(DataType.FLOAT16, false) : normed).muli(weight);
    }

    /**
     * The norm of each of the {@code rows} rows of {@code d} floats in {@code x}, into a new array. Statistics are
     * summed in double, which keeps them within float32 rounding of libtorch's pairwise float sums.
     */
    public float[] apply(float[] x, int rows, int d, float[] weight, float[] bias) {
        float[] y = new float[rows * d];
        applyInto(x, rows, d, weight, bias, y);
        return y;
    }

    /**
     * {@link #apply(float[], int, int, float[], float[])} into {@code y} (of at least {@code rows * d} floats), for
     * an engine that reuses its arrays from pass to pass.
     */
    public void applyInto(float[] x, int rows, int d, float[] weight, float[] bias, float[] y) {
        for (int j = 0; j < rows; j++) {
            int o = j * d;
            if (kind == NormKind.LAYER_NORM) {
                double mean = 0;
                for (int i = 0; i < d; i++) {
                    mean += x[o + i];
                }
                mean /= d;
                double var = 0;
                for (int i = 0; i < d; i++) {
                    double e = x[o + i] - mean;
                    var += e * e;
                }
                float inv = (float) (1.0 / Math.sqrt(var / d + eps));
                float mu = (float) mean;
                for (int i = 0; i < d; i++) {
                    y[o + i] = (x[o + i] - mu) * inv * weight[i] + bias[i];
                }
            } else {
                double ss = 0;
                for (int i = 0; i < d; i++) {
                    ss += (double) x[o + i] * x[o + i];
                }
                float rms = (float) Math.sqrt((float) (ss / d) + eps);
                for (int i = 0; i < d; i++) {
                    y[o + i] = x[o + i] / rms * weight[i];
                }
            }
        }
    }
}
