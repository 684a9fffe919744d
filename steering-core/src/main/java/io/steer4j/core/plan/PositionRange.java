package io.steer4j.core.plan;

/**
 * Token positions {@code from} (inclusive) to {@code to} (exclusive); {@code to == Integer.MAX_VALUE} leaves the range
 * open, so it also covers every generated token after {@code from}.
 *
 * @param from first position, &gt;= 0
 * @param to   end position, &gt; from
 */
public record PositionRange(int from, int to) {
    /** @throws IllegalArgumentException when {@code from < 0} or the range is empty */
    public PositionRange {
        if (from < 0) {
            throw new IllegalArgumentException("a position range starts at >= 0, got " + from);
        }
        if (to <= from) {
            throw new IllegalArgumentException("a position range must not be empty, got [" + from + ", " + to + ")");
        }
    }

    /** Positions {@code from} onwards, generated tokens included. */
    public static PositionRange startingAt(int from) {
        return new PositionRange(from, Integer.MAX_VALUE);
    }

    /** Whether the range has no end. */
    public boolean open() {
        return to == Integer.MAX_VALUE;
    }

    /** Whether {@code position} lies in the range. */
    public boolean contains(long position) {
        return position >= from && position < to;
    }

    /** {@code from-to}, or {@code from-} when open (command-line form). */
    @Override
    public String toString() {
        return from + "-" + (open() ? "" : Integer.toString(to));
    }
}
