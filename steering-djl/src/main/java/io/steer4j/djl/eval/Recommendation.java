package io.steer4j.djl.eval;

import java.util.NoSuchElementException;
import java.util.Optional;

/**
 * The (layer, strength) a sweep suggests, with the rule that chose it spelled out, or no cell when none qualifies
 * (then {@link #rule()} says why).
 *
 * @param cell the chosen cell, or null when none qualifies
 * @param rule the selection rule and its outcome, in words
 */
public record Recommendation(SweepCell cell, String rule) {
    /** @throws IllegalArgumentException if the rule is blank */
    public Recommendation {
        if (rule == null || rule.isBlank()) {
            throw new IllegalArgumentException("a recommendation needs its rule text");
        }
    }

    /** Whether a cell qualified. */
    public boolean isPresent() {
        return cell != null;
    }

    /** The chosen cell, if any. */
    public Optional<SweepCell> best() {
        return Optional.ofNullable(cell);
    }

    /** The chosen layer. @throws NoSuchElementException when no cell qualified */
    public int layer() {
        return require().layer();
    }

    /** The chosen strength. @throws NoSuchElementException when no cell qualified */
    public double strength() {
        return require().strength();
    }

    private SweepCell require() {
        if (cell == null) {
            throw new NoSuchElementException("no (layer, strength) qualified: " + rule);
        }
        return cell;
    }

    @Override
    public String toString() {
        return rule;
    }
}
