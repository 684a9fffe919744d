package io.steer4j.djl.eval;

/**
 * Which way a sweep should move the behaviour: {@link #INCREASE} towards the positive continuation (or the
 * behaviour-matching answer), {@link #DECREASE} away from it (for example a vector applied with negative
 * strengths to suppress a behaviour).
 */
public enum IntendedDirection {
    /** A larger effect is better. */
    INCREASE(1),
    /** A smaller (more negative) effect is better. */
    DECREASE(-1);

    private final int sign;

    IntendedDirection(int sign) {
        this.sign = sign;
    }

    /** {@code +1} or {@code -1}: multiply an effect by it to get "how far in the intended direction". */
    public int sign() {
        return sign;
    }

    /**
     * Parses {@code increase} or {@code decrease} (any case).
     *
     * @throws IllegalArgumentException naming the accepted values
     */
    public static IntendedDirection parse(String s) {
        for (IntendedDirection d : values()) {
            if (d.name().equalsIgnoreCase(s == null ? "" : s.trim())) {
                return d;
            }
        }
        throw new IllegalArgumentException("unknown direction '" + s + "'; use increase or decrease");
    }
}
