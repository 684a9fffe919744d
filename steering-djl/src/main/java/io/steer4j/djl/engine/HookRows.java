package io.steer4j.djl.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.steer4j.core.plan.HookPoint;
import io.steer4j.djl.hooks.ActivationHook;
import io.steer4j.djl.hooks.FloatActivationHook;
import io.steer4j.djl.hooks.HookSet;
import io.steer4j.djl.hooks.HookSite;

import java.util.List;

/**
 * The one place where a forward pass hands its rows to the hooks of a {@link HookSet}: every engine and every pass
 * (decoder, encoder, batched, one-row) calls {@link #apply} at each hook point with its activation as
 * {@code [batch * t, hidden]} rows, and hooks always see {@code [batch, t, hidden]} float32, whatever the engine or
 * the model's precision.
 *
 * @param hooks         the call's hooks
 * @param batch         rows of the call
 * @param t             tokens per row in this pass
 * @param hidden        width of the activation
 * @param half          whether the pass runs in float16 (hooks get a float32 copy, the result is cast back)
 * @param positions     logical position of each token, {@code [batch][t]} (-1 for padding)
 * @param promptLengths each row's prompt length (or token count, for an encoder)
 * @param manager       the call's manager: arrays handed to hooks belong to it
 */
public record HookRows(HookSet hooks, int batch, int t, int hidden, boolean half, long[][] positions,
                       int[] promptLengths, NDManager manager) {

    /** Runs the hooks at {@code (p, layer)} on {@code flat} ({@code [batch * t, hidden]}, libtorch engines). */
    public NDArray apply(HookPoint p, int layer, NDArray flat) {
        List<ActivationHook> hs = hooks.at(p, layer);
        if (hs.isEmpty()) {
            return flat;
        }
        NDArray x = flat.reshape(batch, t, hidden);
        if (half) {
            x = x.toType(DataType.FLOAT32, false);
        }
        HookSite site = site(p, layer);
        for (ActivationHook h : hs) {
            x = applyHook(h, site, x, manager);
        }
        x = x.reshape((long) batch * t, hidden);
        return half ? x.toType(DataType.FLOAT16, false) : x;
    }

    /**
     * Runs the hooks at {@code (p, layer)} on {@code flat} ({@code [batch * t * hidden]} float32, the Java CPU
     * engine): a {@link FloatActivationHook} (steering plans) works on the array itself, any other hook on an NDArray
     * copy that is read back. Returns the array holding the result, {@code flat} itself when no hook replaced it.
     */
    public float[] apply(HookPoint p, int layer, float[] flat) {
        List<ActivationHook> hs = hooks.at(p, layer);
        if (hs.isEmpty()) {
            return flat;
        }
        HookSite site = site(p, layer);
        float[] out = flat;
        for (ActivationHook h : hs) {
            if (h instanceof FloatActivationHook f) {
                f.applyInPlace(site, out); // steering plans: no NDArray at all
                continue;
            }
            NDArray y = applyHook(h, site, manager.create(out, new Shape(batch, t, hidden)), manager);
            out = y.toType(DataType.FLOAT32, false).toFloatArray();
        }
        return out;
    }

    private HookSite site(HookPoint p, int layer) {
        return new HookSite(p, layer, batch, t, positions, promptLengths, manager);
    }

    /**
     * {@code h}'s result for {@code x} at {@code site}, owned by the pass's manager {@code m}.
     *
     * @throws IllegalStateException when the hook returns null or changes the shape
     */
    private static NDArray applyHook(ActivationHook h, HookSite site, NDArray x, NDManager m) {
        NDArray y = h.apply(site, x);
        if (y == null || !y.getShape().equals(x.getShape())) {
            throw new IllegalStateException("hook at " + site.point() + " layer " + site.layer() + " returned shape "
                    + (y == null ? "null" : y.getShape()) + ", expected " + x.getShape());
        }
        if (y.getManager() != m && y != x) {
            y.attach(m);
        }
        return y;
    }
}
