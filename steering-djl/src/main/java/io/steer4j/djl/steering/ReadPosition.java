package io.steer4j.djl.steering;

/**
 * Which token's activation stands for a whole example when computing a vector. Padding is never read.
 *
 * <p>Positions index the tokens the model sees, special tokens included: with a tokenizer that adds BOS
 * (SentencePiece Llama models) index 0 is BOS, so {@link #at(int)} with a non-negative index counts it, while
 * {@link #last()} and negative indexes are unaffected. {@link #mean()} leaves the leading special tokens out
 * (they are the same for every example).
 *
 * <ul>
 *   <li>{@link #last()}: the last token (the default, as in repeng and CAA)</li>
 *   <li>{@link #mean()}: the mean over the tokens of the example (BOS excluded)</li>
 *   <li>{@link #at(int)}: a fixed index; negative counts from the end ({@code -2} is the second to last)</li>
 *   <li>{@link #perExample(Indexer)}: an index chosen per example, e.g. the answer letter of an A/B item</li>
 * </ul>
 */
public sealed interface ReadPosition {
    /** Chooses a token index for one example from its text and token ids; negative counts from the end. */
    @FunctionalInterface
    interface Indexer {
        /**
         * @param text   the example's text
         * @param tokens its token ids
         * @return the index to read; negative counts from the end
         */
        int index(String text, long[] tokens);
    }

    /** The last token. */
    record Last() implements ReadPosition {
        @Override
        public String id() {
            return "last_token";
        }
    }

    /** The mean over the example's tokens, leading special tokens (BOS) excluded. */
    record Mean() implements ReadPosition {
        @Override
        public String id() {
            return "mean";
        }
    }

    /** A fixed index (negative from the end). */
    record At(int index) implements ReadPosition {
        @Override
        public String id() {
            return "index:" + index;
        }
    }

    /** An index per example. */
    record PerExample(Indexer indexer) implements ReadPosition {
        @Override
        public String id() {
            return "per_example";
        }
    }

    /** Recorded in vector metadata, e.g. {@code last_token}. */
    String id();

    /**
     * @return the last token (the default)
     */
    static ReadPosition last() {
        return new Last();
    }

    /**
     * @return the mean over the example's tokens
     */
    static ReadPosition mean() {
        return new Mean();
    }

    /**
     * @param index the token index; negative counts from the end
     * @return that fixed index
     */
    static ReadPosition at(int index) {
        return new At(index);
    }

    /**
     * @param indexer chooses the index from each example's text and tokens
     * @return an index chosen per example
     */
    static ReadPosition perExample(Indexer indexer) {
        return new PerExample(indexer);
    }

    /**
     * Parses {@code last}, {@code mean} or an integer index (command-line form).
     *
     * @throws IllegalArgumentException naming the accepted forms
     */
    static ReadPosition parse(String s) {
        switch (s) {
            case "last", "last_token":
                return last();
            case "mean":
                return mean();
            default:
                try {
                    return at(Integer.parseInt(s.startsWith("index:") ? s.substring(6) : s));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("unknown read position '" + s + "'; use last, mean or an index");
                }
        }
    }
}
