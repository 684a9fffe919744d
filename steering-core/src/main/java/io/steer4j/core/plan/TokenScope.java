package io.steer4j.core.plan;

/**
 * Which token positions an intervention touches. Positions are logical (0 = a prompt's first real token);
 * a prompt of length {@code n} occupies positions {@code 0..n-1} and generated tokens follow.
 *
 * <pre>{@code
 * TokenScope.all();            // every token, prompt and generated
 * TokenScope.promptOnly();     // positions < prompt length
 * TokenScope.generatedOnly();  // positions >= prompt length
 * TokenScope.from(5);          // positions >= 5
 * TokenScope.ranges(List.of(new PositionRange(12, 30), PositionRange.startingAt(41)));  // e.g. a chat's assistant turns
 * }</pre>
 *
 * @param kind         the rule
 * @param fromPosition first covered position for {@link Kind#FROM_POSITION}, else 0
 * @param ranges       the covered positions for {@link Kind#RANGES}, else empty
 */
public record TokenScope(Kind kind, int fromPosition, java.util.List<PositionRange> ranges) {
    /** The rules. */
    public enum Kind {
        /** Every token. */
        ALL,
        /** Prompt tokens only. */
        PROMPT_ONLY,
        /** Generated tokens only. */
        GENERATED_ONLY,
        /** Positions from {@code fromPosition} on. */
        FROM_POSITION,
        /** Positions inside any of {@code ranges} (e.g. only the assistant's turns of a chat). */
        RANGES
    }

    /**
     * Checks the fields.
     *
     * @throws IllegalArgumentException when the kind is missing, {@code fromPosition < 0}, or ranges are given for
     *                                  another kind than {@link Kind#RANGES} (or none for it)
     */
    public TokenScope {
        if (kind == null) {
            throw new IllegalArgumentException("scope kind is required");
        }
        if (fromPosition < 0) {
            throw new IllegalArgumentException("fromPosition must be >= 0, got " + fromPosition);
        }
        ranges = ranges == null ? java.util.List.of() : java.util.List.copyOf(ranges);
        if (kind == Kind.RANGES && ranges.isEmpty()) {
            throw new IllegalArgumentException("a ranges scope needs at least one position range");
        }
        if (kind != Kind.RANGES && !ranges.isEmpty()) {
            throw new IllegalArgumentException("position ranges are only meaningful for a ranges scope, not " + kind);
        }
    }

    /**
     * A scope of any kind but {@link Kind#RANGES}.
     *
     * @param kind         the rule
     * @param fromPosition first covered position for {@link Kind#FROM_POSITION}, else 0
     */
    public TokenScope(Kind kind, int fromPosition) {
        this(kind, fromPosition, java.util.List.of());
    }

    /**
     * The positions inside any of {@code ranges}; an open range ({@link PositionRange#startingAt}) also covers the
     * generated tokens after it.
     *
     * @param ranges the covered positions, at least one
     * @return the scope
     */
    public static TokenScope ranges(java.util.List<PositionRange> ranges) {
        return new TokenScope(Kind.RANGES, 0, ranges);
    }

    /**
     * @return every token, prompt and generated
     */
    public static TokenScope all() {
        return new TokenScope(Kind.ALL, 0);
    }

    /**
     * @return the prompt's tokens only
     */
    public static TokenScope promptOnly() {
        return new TokenScope(Kind.PROMPT_ONLY, 0);
    }

    /**
     * @return the generated tokens only
     */
    public static TokenScope generatedOnly() {
        return new TokenScope(Kind.GENERATED_ONLY, 0);
    }

    /**
     * @param position the first logical position covered, &gt;= 0
     * @return positions from {@code position} on
     */
    public static TokenScope from(int position) {
        return new TokenScope(Kind.FROM_POSITION, position);
    }

    /**
     * Whether the token at {@code position} is covered, for a row whose prompt has {@code promptLength} tokens.
     * Padding (position &lt; 0) is never covered.
     */
    public boolean covers(long position, int promptLength) {
        if (position < 0) {
            return false;
        }
        return switch (kind) {
            case ALL -> true;
            case PROMPT_ONLY -> position < promptLength;
            case GENERATED_ONLY -> position >= promptLength;
            case FROM_POSITION -> position >= fromPosition;
            case RANGES -> inRanges(position);
        };
    }

    /** A plain loop: this runs per token, per steered layer, per decode step. */
    private boolean inRanges(long position) {
        for (PositionRange r : ranges) {
            if (r.contains(position)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Parses {@code all}, {@code prompt}, {@code generated}, {@code from:N} or {@code ranges:A-B,C-} (command-line
     * form; {@code C-} is open-ended).
     *
     * @throws IllegalArgumentException naming the accepted forms
     */
    public static TokenScope parse(String s) {
        switch (s) {
            case "all":
                return all();
            case "prompt":
                return promptOnly();
            case "generated":
                return generatedOnly();
            default:
                if (s.startsWith("ranges:")) {
                    try {
                        java.util.List<PositionRange> list = new java.util.ArrayList<>();
                        for (String part : s.substring(7).split(",")) {
                            int dash = part.indexOf('-');
                            int from = Integer.parseInt(part.substring(0, dash));
                            String to = part.substring(dash + 1);
                            list.add(to.isEmpty() ? PositionRange.startingAt(from)
                                    : new PositionRange(from, Integer.parseInt(to)));
                        }
                        return ranges(list);
                    } catch (RuntimeException e) {
                        throw new IllegalArgumentException("bad token scope '" + s + "': use ranges:A-B,C- ("
                                + e.getMessage() + ")", e);
                    }
                }
                if (s.startsWith("from:")) {
                    try {
                        return from(Integer.parseInt(s.substring(5)));
                    } catch (NumberFormatException e) {
                        // fall through to the error below
                    }
                }
                throw new IllegalArgumentException("unknown token scope '" + s
                        + "'; use all, prompt, generated, from:N or ranges:A-B,C-");
        }
    }

    @Override
    public String toString() {
        return switch (kind) {
            case ALL -> "all";
            case PROMPT_ONLY -> "prompt";
            case GENERATED_ONLY -> "generated";
            case FROM_POSITION -> "from:" + fromPosition;
            case RANGES -> "ranges:" + String.join(",", ranges.stream().map(PositionRange::toString).toList());
        };
    }
}
