package io.steer4j.core.dataset;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.BiFunction;

/**
 * repeng's dataset recipe as data: (positive, negative) persona pairs × suffixes, expanded in repeng's
 * {@code make_dataset} order (suffixes in the outer loop, persona pairs in the inner loop). Shared by the builders
 * that turn it into text pairs ({@link TemplateDatasetBuilder}) or chat pairs ({@code ChatPersonaDatasetBuilder}).
 * Mutable while a builder fills it; not thread-safe.
 */
public final class PersonaGrid {
    private final List<String[]> personaPairs = new ArrayList<>();
    private final List<String> suffixes = new ArrayList<>();

    /** Adds a persona pair, e.g. {@code ("honest", "dishonest")}. */
    public void addPersonaPair(String positivePersona, String negativePersona) {
        personaPairs.add(new String[] {Objects.requireNonNull(positivePersona, "positivePersona"),
                Objects.requireNonNull(negativePersona, "negativePersona")});
    }

    /** Adds suffixes (usually truncated model outputs). */
    public void addSuffixes(List<String> suffixList) {
        suffixList.forEach(s -> suffixes.add(Objects.requireNonNull(s, "suffix")));
    }

    /** Whether no persona pair was added. */
    public boolean hasNoPersonaPairs() {
        return personaPairs.isEmpty();
    }

    /** How many suffixes were added. */
    public int suffixCount() {
        return suffixes.size();
    }

    /**
     * One pair per (suffix, persona pair), suffixes outermost: {@code side(persona, suffix)} makes each side and
     * {@code pair(positive, negative)} joins them.
     *
     * @param suffixList the suffixes to expand over (the grid's own, or e.g. {@code List.of("")} for none)
     */
    public <S, P> List<P> expand(List<String> suffixList, BiFunction<String, String, S> side,
                                 BiFunction<S, S, P> pair) {
        List<P> out = new ArrayList<>(suffixList.size() * personaPairs.size());
        for (String suffix : suffixList) {
            for (String[] personas : personaPairs) {
                out.add(pair.apply(side.apply(personas[0], suffix), side.apply(personas[1], suffix)));
            }
        }
        return out;
    }

    /** {@link #expand(List, BiFunction, BiFunction)} over the grid's own suffixes. */
    public <S, P> List<P> expand(BiFunction<String, String, S> side, BiFunction<S, S, P> pair) {
        return expand(suffixes, side, pair);
    }
}
