package io.steer4j.djl.hooks;

import ai.djl.ndarray.NDArray;

/**
 * Reads and optionally replaces an activation during one forward call.
 *
 * <p>The activation has shape {@code [batch, tokens, hidden]}. Return it unchanged to only read (capture) it,
 * or return a new array of the same shape to replace it for the rest of the forward pass. Never modify the
 * argument in place: other hooks and the KV cache may hold it. Arrays the hook creates belong to
 * {@link HookSite#manager()}; to keep a captured value after the call, copy it out (for example
 * {@code activation.toFloatArray()}).
 *
 * <pre>{@code
 * ActivationHook addVector = (site, x) -> x.add(direction.mul(4f));   // steer
 * ActivationHook capture = (site, x) -> { store(x.toFloatArray()); return x; };
 * }</pre>
 */
@FunctionalInterface
public interface ActivationHook {
    /**
     * @param site       where and at which positions the hook runs
     * @param activation {@code [batch, tokens, hidden]}
     * @return the activation to continue with
     */
    NDArray apply(HookSite site, NDArray activation);
}
