package io.steer4j.core.plan;

/**
 * How an intervention changes an activation {@code x} with direction {@code v} (û = v / |v|) and strength
 * {@code s}:
 * <ul>
 *   <li>{@link #ADD}: {@code x + s·v} (activation addition; the default)</li>
 *   <li>{@link #ABLATE}: {@code x − (x·û)û} (directional ablation; {@code s} is ignored)</li>
 *   <li>{@link #ADD_AFTER_ABLATE}: {@code x − (x·û)û + s·v} (set the component along v to exactly s·v)</li>
 *   <li>{@link #CLAMP}: {@code x − (x·û)û + s·û} (clamp the projection on û to the value s)</li>
 * </ul>
 */
public enum InterventionOperator {
    /** {@code x + s·v}: activation addition (the default). */
    ADD,
    /** {@code x − (x·û)û}: directional ablation; the strength is ignored. */
    ABLATE,
    /** {@code x − (x·û)û + s·v}: the component along v set to exactly s·v. */
    ADD_AFTER_ABLATE,
    /** {@code x − (x·û)û + s·û}: the projection on û clamped to s. */
    CLAMP;

    /** Parses a lower-case name such as {@code add} or {@code add_after_ablate}. */
    public static InterventionOperator parse(String s) {
        for (InterventionOperator o : values()) {
            if (o.name().equalsIgnoreCase(s) || o.name().replace('_', '-').equalsIgnoreCase(s)) {
                return o;
            }
        }
        throw new IllegalArgumentException("unknown operator '" + s + "'; use add, ablate, add_after_ablate or clamp");
    }
}
