package io.steer4j.djl.eval;

import java.util.Locale;

/**
 * How much steering may raise the perplexity of neutral texts before a (layer, strength) is considered to harm
 * fluency: {@link #relative(double) relative} ({@code steered <= unsteered × (1 + limit)}, the default being +25%)
 * or {@link #absolute(double) absolute} ({@code steered <= unsteered + limit}).
 *
 * @param kind  relative or absolute
 * @param limit the allowed rise, {@code >= 0} and finite (0.25 = 25% for a relative bound)
 */
public record PerplexityBound(Kind kind, double limit) {
    /** How the limit applies. */
    public enum Kind {
        /** {@code steered <= unsteered × (1 + limit)}. */
        RELATIVE,
        /** {@code steered <= unsteered + limit}. */
        ABSOLUTE
    }

    /** The default bound: at most +25% relative to unsteered. */
    public static final PerplexityBound DEFAULT = relative(0.25);

    /** @throws IllegalArgumentException if the kind is null or the limit is negative, NaN or infinite */
    public PerplexityBound {
        if (kind == null) {
            throw new IllegalArgumentException("perplexity bound kind is required");
        }
        if (!(limit >= 0) || Double.isInfinite(limit)) {
            throw new IllegalArgumentException("perplexity bound must be a finite number >= 0, got " + limit);
        }
    }

    /** {@code steered <= unsteered × (1 + fraction)}; 0.25 allows a 25% rise. */
    public static PerplexityBound relative(double fraction) {
        return new PerplexityBound(Kind.RELATIVE, fraction);
    }

    /** {@code steered <= unsteered + delta}. */
    public static PerplexityBound absolute(double delta) {
        return new PerplexityBound(Kind.ABSOLUTE, delta);
    }

    /** The highest steered perplexity allowed given the unsteered one. */
    public double maxPerplexity(double unsteered) {
        return kind == Kind.RELATIVE ? unsteered * (1 + limit) : unsteered + limit;
    }

    /** Whether {@code steered} is within the bound (false for NaN). */
    public boolean allows(double unsteered, double steered) {
        return steered <= maxPerplexity(unsteered);
    }

    /** E.g. {@code "+25% relative to unsteered"} or {@code "+5.0 over unsteered"}. */
    public String describe() {
        return kind == Kind.RELATIVE
                ? String.format(Locale.ROOT, "+%s%% relative to unsteered", trim(limit * 100))
                : String.format(Locale.ROOT, "+%s over unsteered", trim(limit));
    }

    private static String trim(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
