package io.steer4j.djl.engine;

/** How a block normalises its input; with its epsilon it is a {@link Normalization}. */
public enum NormKind {
    /** {@code (x - mean) / sqrt(var + eps) * w + b} (biased variance, as torch). */
    LAYER_NORM,
    /** {@code x * rsqrt(mean(x^2) + eps) * w}, as {@code LlamaRMSNorm}. */
    RMS_NORM
}
