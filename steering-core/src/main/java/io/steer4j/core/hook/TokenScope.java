package io.steer4j.core.hook;

/**
 * Which token positions an intervention touches. Positions are logical (0 = a prompt's first real token);
 * a prompt of length {@code n} occupies positions {@code 0..n-1} and generated tokens follow.
 *
 * <pre>{@code
 * TokenScope.all();            // every token, prompt and generated
 * TokenScope.promptOnly();     // positions < prompt length
 * TokenScope.generatedOnly();  // positions >= prompt length
 * TokenScope.from(5);          // positions >= 5
 * }</pre>
 *
 * @param kind         the rule
 * @param fromPosition first covered position for {@link Kind#FROM_POSITION}, else 0
 */
public record TokenScope(Kind kind, int fromPosition) {
    /** The rules. */
    public enum Kind {
        /** Every token, prompt and generated. */
        ALL,
        /** Positions before the prompt's end. */
        PROMPT_ONLY,
        /** Positions from the prompt's end on. */
        GENERATED_ONLY,
        /** Positions from {@link TokenScope#fromPosition()} on. */
        FROM_POSITION
    }

    /** Checks that a rule is given and the position is not negative. */
    public TokenScope {
        if (kind == null) {
            throw new IllegalArgumentException("scope kind is required");
        }
        if (fromPosition < 0) {
            throw new IllegalArgumentException("fromPosition must be >= 0, got " + fromPosition);
        }
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
        };
    }

    /**
     * Parses {@code all}, {@code prompt}, {@code generated} or {@code from:N} (command-line form).
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
                if (s.startsWith("from:")) {
                    try {
                        return from(Integer.parseInt(s.substring(5)));
                    } catch (NumberFormatException e) {
                        // fall through to the error below
                    }
                }
                throw new IllegalArgumentException("unknown token scope '" + s
                        + "'; use all, prompt, generated or from:N");
        }
    }

    @Override
    public String toString() {
        return switch (kind) {
            case ALL -> "all";
            case PROMPT_ONLY -> "prompt";
            case GENERATED_ONLY -> "generated";
            case FROM_POSITION -> "from:" + fromPosition;
        };
    }
}
