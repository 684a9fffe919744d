package io.steer4j.djl.eval;

/** The kind of behaviour evaluation a sweep ran, which decides what its score and effect mean. */
public enum EvalKind {
    /**
     * {@link ContinuationItem}s: score = mean over items of {@code logP(positive | prompt) - logP(negative | prompt)}
     * in nats.
     */
    CONTINUATION("mean logP(positive) - logP(negative)"),
    /**
     * A/B {@link io.steer4j.core.dataset.MultipleChoiceItem}s: score = mean probability of the behaviour-matching
     * answer letter, from a softmax over the two letters' next-token log-probabilities.
     */
    MULTIPLE_CHOICE("mean P(matching answer letter)");

    private final String scoreDescription;

    EvalKind(String scoreDescription) {
        this.scoreDescription = scoreDescription;
    }

    /** What the score measures, for tables and plot labels. */
    public String scoreDescription() {
        return scoreDescription;
    }
}
