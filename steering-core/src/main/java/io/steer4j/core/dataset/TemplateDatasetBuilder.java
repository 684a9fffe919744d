package io.steer4j.core.dataset;

import java.util.List;

/**
 * Builds a dataset the way repeng users do: one template, several (positive, negative) persona pairs, and many
 * suffixes (usually truncations of varied model outputs), giving {@code personaPairs × suffixes} pairs.
 *
 * <p>The template contains {@code {persona}} and usually {@code {suffix}}. Substitution is a single pass, so a
 * persona or suffix containing a placeholder is inserted literally. Order matches repeng's {@code make_dataset}:
 * suffixes in the outer loop, persona pairs in the inner loop.
 *
 * <pre>{@code
 * ContrastiveDataset ds = new TemplateDatasetBuilder()
 *     .name("happy-sad")
 *     .template("[INST] Act as if you're extremely {persona}. [/INST] {suffix}")
 *     .personaPair("happy", "sad")
 *     .personaPair("joyful", "miserable")
 *     .suffixes(List.of("I", "I think", "The weather"))
 *     .build();                                   // 2 × 3 = 6 pairs
 * }</pre>
 */
public final class TemplateDatasetBuilder {
    /** Placeholder for the persona. */
    public static final String PERSONA = "{persona}";
    /** Placeholder for the suffix. */
    public static final String SUFFIX = "{suffix}";

    private String name = "template";
    private String template;
    private final PersonaGrid grid = new PersonaGrid();

    /** The dataset's name (default {@code "template"}). */
    public TemplateDatasetBuilder name(String name) {
        this.name = name;
        return this;
    }

    /** The template; must contain {@value #PERSONA}. */
    public TemplateDatasetBuilder template(String template) {
        this.template = template;
        return this;
    }

    /** Adds a persona pair, e.g. {@code ("honest", "dishonest")}. */
    public TemplateDatasetBuilder personaPair(String positivePersona, String negativePersona) {
        grid.addPersonaPair(positivePersona, negativePersona);
        return this;
    }

    /** Adds suffixes. */
    public TemplateDatasetBuilder suffixes(List<String> suffixList) {
        grid.addSuffixes(suffixList);
        return this;
    }

    /**
     * Expands the template.
     *
     * @throws IllegalArgumentException if the template is missing or lacks {@value #PERSONA}, no persona pair was
     *                                  given, the template has {@value #SUFFIX} but no suffixes were given (or
     *                                  suffixes were given for a template without it), or an expansion is blank
     */
    public ContrastiveDataset build() {
        if (template == null || !template.contains(PERSONA)) {
            throw new IllegalArgumentException("the template must contain " + PERSONA + ", got "
                    + (template == null ? "none" : "'" + template + "'"));
        }
        if (grid.hasNoPersonaPairs()) {
            throw new IllegalArgumentException("add at least one persona pair");
        }
        boolean hasSuffix = template.contains(SUFFIX);
        if (hasSuffix && grid.suffixCount() == 0) {
            throw new IllegalArgumentException("the template contains " + SUFFIX + " but no suffixes were given");
        }
        if (!hasSuffix && grid.suffixCount() > 0) {
            throw new IllegalArgumentException(grid.suffixCount() + " suffixes given but the template has no "
                    + SUFFIX + " placeholder");
        }
        PlaceholderTemplate t = new PlaceholderTemplate(template);
        List<ContrastivePair> pairs = hasSuffix
                ? grid.expand((persona, suffix) -> t.fill(placeholders(persona, suffix)), ContrastivePair::new)
                : grid.expand(List.of(""), (persona, suffix) -> t.fill(placeholders(persona, suffix)),
                        ContrastivePair::new);
        return new ContrastiveDataset(name, pairs);
    }

    private static java.util.Map<String, String> placeholders(String persona, String suffix) {
        java.util.Map<String, String> m = new java.util.LinkedHashMap<>();
        m.put(PERSONA, persona);
        m.put(SUFFIX, suffix);
        return m;
    }
}
