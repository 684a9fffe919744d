package io.steer4j.djl.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.steer4j.djl.hooks.HookSet;
import io.steer4j.djl.model.ForwardInput;
import io.steer4j.djl.model.KvCache;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.model.LogitsMode;
import io.steer4j.djl.model.ModelConfig;

import java.util.ArrayList;
import java.util.List;

/**
 * Autoregressive generation with a KV cache, for one prompt or a left-padded batch, with optional hooks (which
 * is how steering enters).
 *
 * <p>Each call owns its arrays and cache and frees them when it returns or fails, so one {@link LanguageModel}
 * serves many threads, each with its own hooks. The prompt is processed in one forward pass; each further token
 * costs one single-token pass over the cache.
 *
 * <pre>{@code
 * Generator gen = new Generator(model);
 * GenerationResult r = gen.generate("The weather today is", GenerationConfig.greedy(32));
 * }</pre>
 */
public final class Generator {
    /** Generated tokens a KV cache is sized for up front (it grows beyond by doubling). */
    static final int PRESIZED_NEW_TOKENS = 256;
    private final LanguageModel model;

    /**
     * A generator for {@code model}. The first one made in a JVM for a tiny model on the Vector API decode path
     * spends up to 0.4 s on throwaway generations so that the first real one runs at full speed.
     *
     * @param model the model to generate with; it stays owned by the caller
     */
    public Generator(LanguageModel model) {
        this.model = model;
    }

    /** Generates from one text prompt without hooks. */
    public GenerationResult generate(String prompt, GenerationConfig config) {
        return generate(List.of(PromptText.encode(model, prompt, "prompt")), config, HookSet.NONE, TokenListener.NONE,
                CancellationToken.NEVER).get(0);
    }

    /** Generates from text prompts with hooks. */
    public List<GenerationResult> generateTexts(List<String> prompts, GenerationConfig config, HookSet hooks) {
        List<long[]> ids = new ArrayList<>();
        for (String p : prompts) {
            ids.add(PromptText.encode(model, p, "prompt " + ids.size()));
        }
        return generate(ids, config, hooks, TokenListener.NONE, CancellationToken.NEVER);
    }

    /**
     * Generates a continuation for each prompt (rows run together, left-padded).
     *
     * @param prompts  token ids per row, each non-empty
     * @param config   decoding settings
     * @param hooks    hooks for every forward pass of this generation
     * @param listener receives tokens as they come
     * @param cancel   checked between tokens
     * @throws IllegalArgumentException     when a prompt is empty, longer than the context, or holds an id outside
     *                                      the vocabulary
     * @throws GenerationCancelledException when cancelled or interrupted
     */
    public List<GenerationResult> generate(List<long[]> prompts, GenerationConfig config, HookSet hooks,
                                           TokenListener listener, CancellationToken cancel) {
        int batch = prompts.size();
        int vocab = model.config().vocabSize();
        int context = model.config().contextLength();
        int[] promptLengths = new int[batch];
        for (int b = 0; b < batch; b++) {
            long[] p = prompts.get(b);
            checkPrompt(p, "prompt " + b, model.config());
            promptLengths[b] = p.length;
        }
        long[][] generated = new long[batch][];
        for (int b = 0; b < batch; b++) {
            generated[b] = new long[initialTokenCapacity(promptLengths[b], config, context)];
        }
        int[] count = new int[batch];
        FinishReason[] reason = new FinishReason[batch];
        boolean[][] seen = new boolean[batch][];
        TextStream[] streams = new TextStream[batch];
        for (int b = 0; b < batch; b++) {
            seen[b] = new boolean[vocab];
            for (long id : prompts.get(b)) {
                seen[b][(int) id] = true;
            }
            streams[b] = new TextStream(model, listener, b, prompts.get(b));
        }
        TokenSampler[] samplers = new TokenSampler[batch];
        for (int b = 0; b < batch; b++) {
            samplers[b] = new TokenSampler(config);
        }
        int active = batch;
        try (NDManager call = model.newCallManager()) {
            int longest = java.util.Arrays.stream(promptLengths).max().orElse(0);
            KvCache cache = config.useKvCache()
                    ? model.newCache(call, batch, presizedSlots(longest, config, context)) : null;
            if (cache != null) {
                cache.preferHostLogits(); // the samplers want Java arrays: no round trip through libtorch
            }
            long[] next = null;
            boolean[] live = new boolean[batch];
            long[][] fed = new long[batch][0];
            for (int step = 0; step < config.maxNewTokens() && active > 0; step++) {
                checkCancelled(cancel);
                final int stepIndex = step;
                final long[] fedTokens = next;
                final long[][] fedSoFar = fed;
                final boolean[] liveRows = live.clone();
                // The whole step (forward, then copying the logits out) runs on the model's engine thread.
                float[][] logits = model.compute(() -> {
                    try (NDManager stepManager = call.newSubManager()) {
                        ForwardInput in;
                        if (stepIndex == 0) {
                            in = ForwardInput.leftPadded(stepManager, prompts, model.padTokenId(), promptLengths);
                        } else if (cache != null) {
                            in = ForwardInput.step(stepManager, fedTokens, promptLengths, liveRows);
                        } else {
                            in = ForwardInput.leftPadded(stepManager, concat(prompts, fedSoFar), model.padTokenId(),
                                    promptLengths);
                        }
                        NDArray out = model.forward(in, cache, hooks, LogitsMode.LAST);
                        float[] host = cache == null ? null : cache.takeHostLogits();
                        return host != null ? new float[][] {host} : rows(out, batch, vocab);
                    }
                });
                next = new long[batch];
                for (int b = 0; b < batch; b++) {
                    if (reason[b] != null) {
                        next[b] = model.padTokenId();
                        continue;
                    }
                    long tok = samplers[b].next(logits[b], seen[b]);
                    next[b] = tok;
                    seen[b][(int) tok] = true;
                    generated[b] = withRoom(generated[b], count[b]);
                    generated[b][count[b]++] = tok;
                    streams[b].accept(generated[b], count[b]);
                    reason[b] = stopAfter(tok, promptLengths[b], count[b], config, model);
                    if (reason[b] != null) {
                        active--;
                    }
                }
                // A finished row is fed no further real token: it may have filled the context, and its position
                // must not run past it while other rows go on.
                for (int b = 0; b < batch; b++) {
                    live[b] = reason[b] == null;
                    if (live[b]) {
                        fed[b] = java.util.Arrays.copyOf(fed[b], fed[b].length + 1);
                        fed[b][fed[b].length - 1] = next[b];
                    }
                }
            }
        }
        List<GenerationResult> results = new ArrayList<>(batch);
        for (int b = 0; b < batch; b++) {
            long[] toks = java.util.Arrays.copyOf(generated[b], count[b]);
            results.add(new GenerationResult(prompts.get(b), toks, model.tokenizer().decodeAfter(prompts.get(b), toks),
                    reason[b] == null ? FinishReason.LENGTH : reason[b]));
        }
        return results;
    }

    private static List<long[]> concat(List<long[]> prompts, long[][] fed) {
        List<long[]> out = new ArrayList<>(prompts.size());
        for (int b = 0; b < prompts.size(); b++) {
            long[] p = prompts.get(b);
            long[] r = java.util.Arrays.copyOf(p, p.length + fed[b].length);
            System.arraycopy(fed[b], 0, r, p.length, fed[b].length);
            out.add(r);
        }
        return out;
    }

    /**
     * Refuses an empty prompt, one longer than the context, or one holding an id outside the vocabulary.
     *
     * @param name how messages call the prompt ({@code "prompt 2"})
     */
    static void checkPrompt(long[] p, String name, ModelConfig c) {
        if (p.length == 0) {
            throw new IllegalArgumentException(name + " is empty");
        }
        if (p.length > c.contextLength()) {
            throw new IllegalArgumentException(name + " has " + p.length + " tokens but the model's "
                    + "context is " + c.contextLength() + "; shorten it (steer4j does not truncate silently)");
        }
        for (long id : p) {
            if (id < 0 || id >= c.vocabSize()) {
                throw new IllegalArgumentException(name + " holds token id " + id
                        + " outside the vocabulary [0, " + c.vocabSize() + ")");
            }
        }
    }

    /**
     * Room for one row's new tokens: {@code maxNewTokens}, but never more than the row can generate before its
     * context is full (and the one token a context-filling prompt still yields), so that a huge
     * {@code maxNewTokens} meaning "until EOS or the end of the context" costs nothing extra.
     */
    static int newTokenCapacity(int promptLength, GenerationConfig config, int context) {
        return Math.min(config.maxNewTokens(), Math.max(1, context - promptLength));
    }

    /**
     * The first size of a row's token buffer: {@link #newTokenCapacity}, but at most {@link #PRESIZED_NEW_TOKENS};
     * {@link #withRoom} doubles it as tokens arrive. The context length is a config's claim
     * ({@code max_position_embeddings: 2147483647} is accepted for RoPE models) and {@code maxNewTokens} a caller's
     * request, so neither may size an allocation before tokens exist: that was a "Java heap space" in 1 s.
     */
    static int initialTokenCapacity(int promptLength, GenerationConfig config, int context) {
        return Math.min(newTokenCapacity(promptLength, config, context), PRESIZED_NEW_TOKENS);
    }

    /** {@code buf}, or a copy twice as long when {@code count} tokens fill it. */
    static long[] withRoom(long[] buf, int count) {
        if (count < buf.length) {
            return buf;
        }
        return java.util.Arrays.copyOf(buf, (int) Math.min(Integer.MAX_VALUE - 8, Math.max(16L, 2L * buf.length)));
    }

    /**
     * KV cache slots to allocate up front: the prompt and up to {@link #PRESIZED_NEW_TOKENS} tokens, at most the
     * context. Beyond that the cache doubles as it fills, so a huge maxNewTokens meaning "until EOS" does not
     * allocate the whole context at once.
     */
    static int presizedSlots(int longestPrompt, GenerationConfig config, int context) {
        return (int) Math.min(context, (long) longestPrompt + Math.min(config.maxNewTokens(), PRESIZED_NEW_TOKENS));
    }

    /**
     * Why a row stops right after sampling {@code token} as its {@code count}-th new token: end of sequence (any
     * of {@link LanguageModel#eosTokenIds()}), a stop token or a full context; null to go on
     * ({@link FinishReason#LENGTH} is the caller's loop running out).
     */
    static FinishReason stopAfter(long token, int promptLength, int count, GenerationConfig config, LanguageModel model) {
        ModelConfig c = model.config();
        if (config.stopAtEos() && model.eosTokenIds().contains(token)) {
            return FinishReason.EOS;
        }
        if (config.stopTokenIds().contains(token)) {
            return FinishReason.STOP_TOKEN;
        }
        return promptLength + count >= c.contextLength() ? FinishReason.CONTEXT_FULL : null;
    }

    /** Splits flat {@code [batch, vocab]} logits into rows. */
    static float[][] rows(NDArray logits, int batch, int vocab) {
        float[] flat = logits.toFloatArray();
        if (batch == 1) {
            return new float[][] {flat};
        }
        float[][] out = new float[batch][];
        for (int b = 0; b < batch; b++) {
            out[b] = java.util.Arrays.copyOfRange(flat, b * vocab, (b + 1) * vocab);
        }
        return out;
    }

    private static void checkCancelled(CancellationToken cancel) {
        if (cancel.isCancelled()) {
            throw new GenerationCancelledException("generation cancelled");
        }
        if (Thread.currentThread().isInterrupted()) {
            throw new GenerationCancelledException("generation interrupted");
        }
    }
}
