package io.steer4j.core.dataset;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

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
    private final List<String[]> personaPairs = new ArrayList<>();
    private final List<String> suffixes = new ArrayList<>();

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
        personaPairs.add(new String[] {Objects.requireNonNull(positivePersona, "positivePersona"),
                Objects.requireNonNull(negativePersona, "negativePersona")});
        return this;
    }

    /** Adds suffixes. */
    public TemplateDatasetBuilder suffixes(List<String> suffixList) {
        suffixList.forEach(s -> suffixes.add(Objects.requireNonNull(s, "suffix")));
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
        if (personaPairs.isEmpty()) {
            throw new IllegalArgumentException("add at least one persona pair");
        }
        boolean hasSuffix = template.contains(SUFFIX);
        if (hasSuffix && suffixes.isEmpty()) {
            throw new IllegalArgumentException("the template contains " + SUFFIX + " but no suffixes were given");
        }
        if (!hasSuffix && !suffixes.isEmpty()) {
            throw new IllegalArgumentException(suffixes.size() + " suffixes given but the template has no "
                    + SUFFIX + " placeholder");
        }
        List<String> suffixList = hasSuffix ? suffixes : List.of("");
        List<ContrastivePair> pairs = new ArrayList<>();
        for (String suffix : suffixList) {
            for (String[] personas : personaPairs) {
                pairs.add(new ContrastivePair(fill(personas[0], suffix), fill(personas[1], suffix)));
            }
        }
        return new ContrastiveDataset(name, pairs);
    }

    /** Replaces both placeholders in one left-to-right pass. */
    private String fill(String persona, String suffix) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < template.length()) {
            if (template.startsWith(PERSONA, i)) {
                out.append(persona);
                i += PERSONA.length();
            } else if (template.startsWith(SUFFIX, i)) {
                out.append(suffix);
                i += SUFFIX.length();
            } else {
                out.append(template.charAt(i));
                i++;
            }
        }
        return out.toString();
    }
}
