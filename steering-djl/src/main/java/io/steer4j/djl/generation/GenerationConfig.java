package io.steer4j.djl.generation;

import java.util.Set;

/**
 * How to generate: length, decoding strategy and stopping. Immutable; build with {@link #builder()}.
 *
 * <p>Sampling follows Hugging Face's order: repetition penalty, then temperature, top-k, top-p, then a draw from
 * the renormalised distribution with a generator seeded by {@link #seed()} (each row of a batch draws from its
 * own generator with that seed, so a row samples the same tokens whether it runs alone or in a batch).
 *
 * <pre>{@code
 * GenerationConfig greedy = GenerationConfig.greedy(64);
 * GenerationConfig sampled = GenerationConfig.builder().maxNewTokens(64)
 *     .temperature(0.8).topP(0.95).seed(42).repetitionPenalty(1.1).build();
 * }</pre>
 *
 * @param maxNewTokens      most tokens to generate per row; {@code Integer.MAX_VALUE} means until EOS or a stop
 *                          token, or until the context is full (memory is sized by the context, not by this)
 * @param greedy            argmax decoding (temperature, top-k and top-p are then ignored)
 * @param temperature       softmax temperature, &gt; 0
 * @param topK              keep the k most likely tokens (0 = off)
 * @param topP              keep the smallest set whose probability reaches p (1 = off)
 * @param seed              sampling seed
 * @param repetitionPenalty Hugging Face's CTRL-style penalty on tokens already present (1 = off)
 * @param stopAtEos         stop a row when it emits one of the model's end-of-sequence tokens
 *                          ({@code generation_config.json}'s {@code eos_token_id}, else {@code config.json}'s)
 * @param stopTokenIds      further token ids that stop a row
 * @param useKvCache        reuse keys and values of earlier tokens (default); off recomputes the whole sequence
 *                          every step, which is slower and exists to prove both paths agree
 */
public record GenerationConfig(int maxNewTokens, boolean greedy, double temperature, int topK, double topP,
                               long seed, double repetitionPenalty, boolean stopAtEos, Set<Long> stopTokenIds,
                               boolean useKvCache) {

    /** Validates the options; the message names the offending one. The stop ids are copied. */
    public GenerationConfig {
        if (maxNewTokens < 0) {
            throw new IllegalArgumentException("maxNewTokens must be >= 0, got " + maxNewTokens);
        }
        if (!(temperature > 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a positive finite number, got " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("topK must be >= 0, got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("topP must be in (0, 1], got " + topP);
        }
        if (!(repetitionPenalty > 0) || Double.isInfinite(repetitionPenalty)) {
            throw new IllegalArgumentException("repetitionPenalty must be a positive finite number, got " + repetitionPenalty);
        }
        stopTokenIds = Set.copyOf(stopTokenIds);
    }

    /** Greedy decoding of up to {@code maxNewTokens} tokens, stopping at EOS. */
    public static GenerationConfig greedy(int maxNewTokens) {
        return builder().maxNewTokens(maxNewTokens).build();
    }

    /**
     * @return a builder starting from greedy decoding of 32 tokens with EOS stopping and the KV cache
     */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from this config. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.maxNewTokens = maxNewTokens;
        b.greedy = greedy;
        b.temperature = temperature;
        b.topK = topK;
        b.topP = topP;
        b.seed = seed;
        b.repetitionPenalty = repetitionPenalty;
        b.stopAtEos = stopAtEos;
        b.stopTokenIds = stopTokenIds;
        b.useKvCache = useKvCache;
        return b;
    }

    /** Builder; defaults: 32 tokens, greedy, stop at EOS. Setting temperature, topK or topP switches to sampling. */
    public static final class Builder {
        private int maxNewTokens = 32;
        private boolean greedy = true;
        private double temperature = 1.0;
        private int topK = 0;
        private double topP = 1.0;
        private long seed = 0;
        private double repetitionPenalty = 1.0;
        private boolean stopAtEos = true;
        private Set<Long> stopTokenIds = Set.of();
        private boolean useKvCache = true;

        /**
         * @param n most tokens to generate per row, &gt;= 0
         * @return this builder
         */
        public Builder maxNewTokens(int n) {
            this.maxNewTokens = n;
            return this;
        }

        /**
         * Argmax decoding (the default); a sampling option set later switches it off again.
         *
         * @return this builder
         */
        public Builder greedy() {
            this.greedy = true;
            return this;
        }

        /** Switches to sampling. */
        public Builder sample() {
            this.greedy = false;
            return this;
        }

        /**
         * Sampling with this softmax temperature (switches greedy decoding off).
         *
         * @param t temperature, &gt; 0
         * @return this builder
         */
        public Builder temperature(double t) {
            this.temperature = t;
            this.greedy = false;
            return this;
        }

        /**
         * Sampling from the {@code k} most likely tokens (switches greedy decoding off).
         *
         * @param k tokens kept, 0 for all
         * @return this builder
         */
        public Builder topK(int k) {
            this.topK = k;
            this.greedy = false;
            return this;
        }

        /**
         * Nucleus sampling (switches greedy decoding off).
         *
         * @param p probability mass kept, in (0, 1]
         * @return this builder
         */
        public Builder topP(double p) {
            this.topP = p;
            this.greedy = false;
            return this;
        }

        /**
         * @param s the sampling seed
         * @return this builder
         */
        public Builder seed(long s) {
            this.seed = s;
            return this;
        }

        /**
         * @param p Hugging Face's repetition penalty, &gt; 0 (1 = off)
         * @return this builder
         */
        public Builder repetitionPenalty(double p) {
            this.repetitionPenalty = p;
            return this;
        }

        /**
         * @param stop whether a row stops at the model's end-of-sequence token
         * @return this builder
         */
        public Builder stopAtEos(boolean stop) {
            this.stopAtEos = stop;
            return this;
        }

        /**
         * @param ids further token ids that stop a row
         * @return this builder
         */
        public Builder stopTokenIds(Set<Long> ids) {
            this.stopTokenIds = ids;
            return this;
        }

        /**
         * @param use reuse keys and values of earlier tokens (off recomputes the sequence each step)
         * @return this builder
         */
        public Builder useKvCache(boolean use) {
            this.useKvCache = use;
            return this;
        }

        /**
         * @return the configuration
         * @throws IllegalArgumentException naming an option out of range
         */
        public GenerationConfig build() {
            return new GenerationConfig(maxNewTokens, greedy, temperature, topK, topP, seed, repetitionPenalty,
                    stopAtEos, stopTokenIds, useKvCache);
        }
    }
}
