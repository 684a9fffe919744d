package io.steer4j.djl.hooks;

import io.steer4j.core.plan.HookPoint;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The hooks of one forward call or one generation, keyed by (hook point, layer). Immutable; hooks belong to a
 * call, never to the model, so concurrent calls with different hook sets cannot see each other's hooks.
 *
 * <pre>{@code
 * HookSet hooks = HookSet.builder()
 *     .add(HookPoint.RESID_POST, 6, (site, x) -> x.add(vector))
 *     .build();
 * }</pre>
 */
public final class HookSet {
    /** No hooks: the plain model. */
    public static final HookSet NONE = new HookSet(new EnumMap<>(HookPoint.class));

    private final Map<HookPoint, Map<Integer, List<ActivationHook>>> hooks;

    private HookSet(Map<HookPoint, Map<Integer, List<ActivationHook>>> hooks) {
        this.hooks = hooks;
    }

    /** Starts an empty builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** Hooks registered at this site, in insertion order (empty when none). */
    public List<ActivationHook> at(HookPoint point, int layer) {
        Map<Integer, List<ActivationHook>> byLayer = hooks.get(point);
        if (byLayer == null) {
            return List.of();
        }
        return byLayer.getOrDefault(layer, List.of());
    }

    /** True when no hook is registered. */
    public boolean isEmpty() {
        return hooks.isEmpty();
    }

    /** Highest layer any hook names, or -1. */
    public int maxLayer() {
        int max = -1;
        for (Map<Integer, List<ActivationHook>> m : hooks.values()) {
            for (int l : m.keySet()) {
                max = Math.max(max, l);
            }
        }
        return max;
    }

    /** A new set with the hooks of both, this set's first at each site. */
    public HookSet and(HookSet other) {
        Builder b = new Builder();
        for (HookSet s : List.of(this, other)) {
            s.hooks.forEach((p, m) -> m.forEach((l, list) -> list.forEach(h -> b.add(p, l, h))));
        }
        return b.build();
    }

    /** Collects hooks; one per call, not shared. */
    public static final class Builder {
        private final Map<HookPoint, Map<Integer, List<ActivationHook>>> hooks = new EnumMap<>(HookPoint.class);

        /**
         * Adds a hook at a site; several hooks at one site run in the order added.
         *
         * @throws IllegalArgumentException if {@code layer} is negative
         */
        public Builder add(HookPoint point, int layer, ActivationHook hook) {
            if (layer < 0) {
                throw new IllegalArgumentException("layer must be >= 0, got " + layer);
            }
            hooks.computeIfAbsent(point, p -> new TreeMap<>()).computeIfAbsent(layer, l -> new ArrayList<>()).add(hook);
            return this;
        }

        /**
         * @return the hooks registered so far
         */
        public HookSet build() {
            Map<HookPoint, Map<Integer, List<ActivationHook>>> copy = new EnumMap<>(HookPoint.class);
            hooks.forEach((p, m) -> {
                Map<Integer, List<ActivationHook>> mm = new TreeMap<>();
                m.forEach((l, list) -> mm.put(l, List.copyOf(list)));
                copy.put(p, Collections.unmodifiableMap(mm));
            });
            return copy.isEmpty() ? NONE : new HookSet(copy);
        }
    }
}
