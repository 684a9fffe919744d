package io.steer4j.djl.hooks;

/**
 * An {@link ActivationHook} that can also run on one row's activations as plain floats. The Vector API decode
 * path (one row on the CPU) keeps activations in Java arrays; a hook implementing this runs there without any
 * NDArray (a steering add then costs microseconds instead of three libtorch calls per site), while any other hook
 * still runs through {@link #apply} on an NDArray made for it.
 */
public interface FloatActivationHook extends ActivationHook {
    /**
     * Applies the hook in place to {@code x}, the {@code [site.queryLength(), hidden]} float32 activations of the
     * single row of {@code site} ({@code site.batchSize() == 1}), row-major. Must compute what {@link #apply}
     * computes, to float32 rounding.
     */
    void applyInPlace(HookSite site, float[] x);
}
