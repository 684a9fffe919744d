package io.steer4j.core.plan;

/**
 * One change to one activation site: at {@code layer}'s {@code point}, apply {@code operator} with
 * {@code direction} and {@code strength} to the tokens in {@code scope}, optionally rescaling each token back to
 * its original norm ({@code preserveNorm}, as some steering methods do to keep activations in distribution).
 *
 * <pre>{@code
 * Intervention i = Intervention.add(6, direction, 4.0);   // resid_post of layer 6, all tokens
 * }</pre>
 *
 * @param layer        0-based layer
 * @param point        hook point
 * @param direction    vector of the model's hidden size (copied; finite values only)
 * @param strength     the coefficient (see {@link InterventionOperator}); finite, and within the bound of
 *                     {@link SteeringStrength} ({@code |strength| × ‖direction‖ ≤ 1e6} for ADD, {@code |strength|
 *                     ≤ 1e6} for CLAMP)
 * @param scope        which tokens
 * @param operator     how
 * @param preserveNorm rescale each changed token to its original L2 norm
 */
public record Intervention(int layer, HookPoint point, float[] direction, double strength, TokenScope scope,
                           InterventionOperator operator, boolean preserveNorm) {
    /** Validates the intervention; the message names the offending argument. */
    public Intervention {
        if (layer < 0) {
            throw new IllegalArgumentException("layer must be >= 0, got " + layer);
        }
        if (point == null || scope == null || operator == null || direction == null) {
            throw new IllegalArgumentException("point, scope, operator and direction are required");
        }
        if (direction.length == 0) {
            throw new IllegalArgumentException("direction is empty");
        }
        if (!Double.isFinite(strength)) {
            throw new IllegalArgumentException("strength must be finite, got " + strength);
        }
        direction = direction.clone();
        double norm2 = 0;
        for (int i = 0; i < direction.length; i++) {
            if (!Float.isFinite(direction[i])) {
                throw new IllegalArgumentException("direction for layer " + layer + " has a non-finite value "
                        + direction[i] + " at index " + i);
            }
            norm2 += (double) direction[i] * direction[i];
        }
        if (operator != InterventionOperator.ADD && norm2 == 0) {
            throw new IllegalArgumentException("operator " + operator + " needs a non-zero direction (layer " + layer + ")");
        }
        // The hooks compute in float32: a product or a squared norm past Float.MAX_VALUE becomes Inf there and
        // NaN logits later, so such a plan is refused here rather than decoding garbage.
        if (norm2 > Float.MAX_VALUE) {
            throw new IllegalArgumentException("direction for layer " + layer + " has a squared norm of " + norm2
                    + ", which overflows float32; normalise the vector and put its scale in the strength");
        }
        // CLAMP moves the projection onto the unit direction to the strength: it adds at most |strength| (plus the
        // current projection) along a unit vector, so it is bounded like an ADD of a unit direction.
        if (operator == InterventionOperator.ADD) {
            SteeringStrength.check(strength, direction, "layer " + layer);
        } else if (operator == InterventionOperator.CLAMP) {
            SteeringStrength.check(strength, new float[] {1f}, "layer " + layer);
        }
    }

    /** {@code x + strength·direction} at resid_post of {@code layer}, every token. */
    public static Intervention add(int layer, float[] direction, double strength) {
        return new Intervention(layer, HookPoint.RESID_POST, direction, strength, TokenScope.all(),
                InterventionOperator.ADD, false);
    }

    /**
     * @return a copy of the direction
     */
    @Override
    public float[] direction() {
        return direction.clone();
    }

    /** Hidden size of the direction. */
    public int dimension() {
        return direction.length;
    }

    /** True when applying it cannot change anything (an addition of strength 0 without norm preservation). */
    public boolean isNoOp() {
        return operator == InterventionOperator.ADD && strength == 0 && !preserveNorm;
    }

    /** The same intervention with another strength. */
    public Intervention withStrength(double s) {
        return new Intervention(layer, point, direction, s, scope, operator, preserveNorm);
    }

    /** The same intervention with another scope. */
    public Intervention withScope(TokenScope s) {
        return new Intervention(layer, point, direction, strength, s, operator, preserveNorm);
    }
}
