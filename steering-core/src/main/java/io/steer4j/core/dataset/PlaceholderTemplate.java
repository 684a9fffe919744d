package io.steer4j.core.dataset;

import java.util.Map;
import java.util.Objects;

/**
 * A text with {@code {name}} placeholders, filled in one left-to-right pass: a value that itself contains a
 * placeholder is inserted literally, never expanded again. The recipe builders ({@link TemplateDatasetBuilder},
 * {@code ChatPersonaDatasetBuilder}) fill their {@code {persona}} and {@code {suffix}} with it.
 *
 * <pre>{@code
 * new PlaceholderTemplate("Act as if you're {persona}. {suffix}")
 *         .fill(Map.of("{persona}", "happy", "{suffix}", "I"));   // "Act as if you're happy. I"
 * }</pre>
 *
 * @param text the template text
 */
public record PlaceholderTemplate(String text) {
    /** @throws NullPointerException if {@code text} is null */
    public PlaceholderTemplate {
        Objects.requireNonNull(text, "text");
    }

    /** Whether the text holds {@code placeholder}. */
    public boolean contains(String placeholder) {
        return text.contains(placeholder);
    }

    /**
     * The text with every placeholder (a key of {@code values}, written with its braces) replaced by its value.
     * Where two keys could match at one position, the first in {@code values}' iteration order wins.
     */
    public String fill(Map<String, String> values) {
        StringBuilder out = new StringBuilder(text.length() + 32);
        int i = 0;
        outer:
        while (i < text.length()) {
            for (Map.Entry<String, String> e : values.entrySet()) {
                if (!e.getKey().isEmpty() && text.startsWith(e.getKey(), i)) {
                    out.append(e.getValue());
                    i += e.getKey().length();
                    continue outer;
                }
            }
            out.append(text.charAt(i));
            i++;
        }
        return out.toString();
    }
}
