package io.steer4j.core.plan;

/**
 * The bound every steering strength must respect where it enters (plans, sweeps, the command line): the vector a
 * strength adds to the residual stream, {@code |strength| × ‖direction‖₂}, may be at most {@link #MAX_ADDED_NORM}.
 *
 * <p>Why this bound: residual-stream norms of published models lie between about 1 (tiny models) and about 1e4
 * (the "massive activations" of large Llama-, Gemma- and GPT-2-style models). An added vector 100 times the largest
 * of them no longer steers the stream, it replaces it, so nothing useful is refused. And below 1e6 every float32
 * quantity the forward pass derives from the stream stays far from overflow: the squared norm a layer norm takes is
 * at most 1e12 (float32 overflows at 3.4e38, reached at a norm of 1.8e19). Strengths of 1e20 and more used to pass
 * a per-component check, overflow inside the norms and decode token 0 forever with exit 0.
 *
 * <pre>{@code
 * SteeringStrength.check(4.0, direction, "layer 6");   // fine
 * SteeringStrength.check(1e20, direction, "layer 6");  // IllegalArgumentException naming 1e20 and layer 6
 * }</pre>
 */
public final class SteeringStrength {
    /** Largest L2 norm of {@code strength × direction} accepted (1e6). */
    public static final double MAX_ADDED_NORM = 1e6;

    private SteeringStrength() {
    }

    /**
     * The L2 norm of {@code strength × direction}, computed in double precision.
     *
     * @param strength  the coefficient
     * @param direction the direction
     * @return {@code |strength| × ‖direction‖₂} (infinite when it overflows a double)
     */
    public static double addedNorm(double strength, float[] direction) {
        double norm2 = 0;
        for (float v : direction) {
            norm2 += (double) v * v;
        }
        return Math.abs(strength) * Math.sqrt(norm2);
    }

    /**
     * Refuses a strength that is not finite or whose added vector exceeds {@link #MAX_ADDED_NORM}.
     *
     * @param strength  the coefficient
     * @param direction the direction it multiplies (finite values)
     * @param where     what the message calls the site, e.g. {@code "layer 6"}
     * @throws IllegalArgumentException naming the strength, the site and the norm
     */
    public static void check(double strength, float[] direction, String where) {
        if (!Double.isFinite(strength)) {
            throw new IllegalArgumentException("strength must be finite, got " + strength);
        }
        double added = addedNorm(strength, direction);
        if (!(added <= MAX_ADDED_NORM)) {
            throw new IllegalArgumentException("strength " + strength + " at " + where + " adds a vector of norm "
                    + String.format(java.util.Locale.ROOT, "%.3g", added) + " (direction norm "
                    + String.format(java.util.Locale.ROOT, "%.3g", added / Math.abs(strength))
                    + "), more than the " + String.format(java.util.Locale.ROOT, "%.0e", MAX_ADDED_NORM)
                    + " steer4j allows: residual streams have norms of about 1 to 1e4, so this would drown the"
                    + " model (or overflow float32); use a strength of at most "
                    + String.format(java.util.Locale.ROOT, "%.3g", maxStrength(direction)) + " for this vector");
        }
    }

    /**
     * The largest strength {@link #check} accepts for this direction.
     *
     * @param direction the direction
     * @return {@code MAX_ADDED_NORM / ‖direction‖₂}, infinite for a zero direction
     */
    public static double maxStrength(float[] direction) {
        double n = addedNorm(1, direction);
        return n == 0 ? Double.POSITIVE_INFINITY : MAX_ADDED_NORM / n;
    }
}
