package io.steer4j.core.dataset;

/**
 * Two texts that differ in the concept to steer: {@code positive} shows it, {@code negative} shows its opposite
 * (e.g. "Act as if you're extremely happy." vs "... extremely sad."). Ideally they differ in nothing else.
 *
 * <pre>{@code
 * var pair = new ContrastivePair("I love this!", "I hate this!");
 * }</pre>
 *
 * @param positive the text exhibiting the concept; non-blank
 * @param negative the text exhibiting its opposite; non-blank
 */
public record ContrastivePair(String positive, String negative) {
    /** @throws IllegalArgumentException if either text is null or blank (naming which) */
    public ContrastivePair {
        requireText(positive, "positive");
        requireText(negative, "negative");
    }

    private static void requireText(String text, String name) {
        if (text == null) {
            throw new IllegalArgumentException(name + " text must not be null");
        }
        if (text.isBlank()) {
            throw new IllegalArgumentException(name + " text must not be blank");
        }
    }
}
