package io.steer4j.core.dataset;

/**
 * An A/B question as in Anthropic's model-written evaluations and the CAA datasets:
 * {@code {"question": "...\n\nChoices:\n (A) Yes\n (B) No", "answer_matching_behavior": " (A)",
 * "answer_not_matching_behavior": " (B)"}}.
 *
 * <p>The answers are kept apart from the question so an evaluation runner can locate the answer token (e.g. the
 * letter) and compare its probability; {@link #toPair()} joins them for vector extraction.
 *
 * @param question                  the prompt including the choices; non-blank
 * @param answerMatchingBehavior    the answer that shows the behaviour to steer towards; non-blank
 * @param answerNotMatchingBehavior the answer that does not; non-blank
 */
public record MultipleChoiceItem(String question, String answerMatchingBehavior, String answerNotMatchingBehavior) {
    /** @throws IllegalArgumentException if a field is null or blank (naming it by its JSON key) */
    public MultipleChoiceItem {
        requireText(question, "question");
        requireText(answerMatchingBehavior, "answer_matching_behavior");
        requireText(answerNotMatchingBehavior, "answer_not_matching_behavior");
    }

    private static void requireText(String text, String key) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException(key + " must not be null or blank");
        }
    }

    /** The pair {@code (question + "\n" + matching answer, question + "\n" + non-matching answer)}. */
    public ContrastivePair toPair() {
        return new ContrastivePair(question + "\n" + answerMatchingBehavior, question + "\n" + answerNotMatchingBehavior);
    }
}
