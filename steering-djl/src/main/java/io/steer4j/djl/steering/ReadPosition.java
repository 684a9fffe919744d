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
 *   <li>{@link #token(String)}: the first occurrence of a named token, e.g. {@code [MASK]} in an encoder's input</li>
 *   <li>{@link #cls()}: index 0, an encoder's {@code [CLS]}</li>
 * </ul>
 *
 * <p>On encoders ({@link SteeringVectorComputer#builder(io.steer4j.djl.model.EncoderModel)}) {@link #mean()}
 * averages every token, {@code [CLS]} and {@code [SEP]} included, as sentence-transformers' mean pooling does, so a
 * vector read there lives where the sentence embedding is taken.
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

    /** The first occurrence of a token given by its text (one token of the vocabulary, e.g. {@code [MASK]}). */
    record Token(String token) implements ReadPosition {
        /** Validates. */
        public Token {
            if (token == null || token.isEmpty()) {
                throw new IllegalArgumentException("a named read position needs a token");
            }
        }

        @Override
        public String id() {
            return "token:" + token;
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
     * @param token a token of the vocabulary, as text ({@code [MASK]}, {@code good})
     * @return the first position holding that token in each example
     */
    static ReadPosition token(String token) {
        return new Token(token);
    }

    /**
     * @return index 0: an encoder's {@code [CLS]} token
     */
    static ReadPosition cls() {
        return new At(0);
    }

    /**
     * Parses {@code last}, {@code mean}, {@code cls}, {@code token:TEXT} or an integer index (command-line form).
     *
     * @throws IllegalArgumentException naming the accepted forms
     */
    static ReadPosition parse(String s) {
        switch (s) {
            case "last", "last_token":
                return last();
            case "mean":
                return mean();
            case "cls":
                return cls();
            default:
                if (s.startsWith("token:")) {
                    return token(s.substring(6));
                }
                try {
                    return at(Integer.parseInt(s.startsWith("index:") ? s.substring(6) : s));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("unknown read position '" + s + "'; use last, mean, cls, token:TEXT or an index");
                }
        }
    }
}
