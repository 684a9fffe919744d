package io.steer4j.djl.steering;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.steer4j.core.chat.ChatMessage;
import io.steer4j.core.dataset.ContrastiveDataset;
import io.steer4j.core.dataset.ContrastivePair;
import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.djl.chat.ChatFormat;
import io.steer4j.djl.chat.ChatPrompt;
import io.steer4j.djl.chat.ChatResult;
import io.steer4j.djl.generation.CancellationToken;
import io.steer4j.djl.generation.ContinuousBatcher;
import io.steer4j.djl.generation.GenerationConfig;
import io.steer4j.djl.generation.GenerationResult;
import io.steer4j.djl.generation.Generator;
import io.steer4j.djl.generation.PromptText;
import io.steer4j.djl.generation.TokenListener;
import io.steer4j.djl.hooks.HookSet;
import io.steer4j.djl.model.ForwardInput;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.model.LogitsMode;

import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A loaded model plus how to steer it: a default {@link SteeringPlan}, or a {@link PlanSelector} that picks the
 * plan per request (conditional steering). Every call may also pass its own plan. Thread-safe: plans travel with
 * the call, never stored on the model, so many threads can generate with different plans at once.
 *
 * <p>An empty plan runs the plain model exactly (no hook is installed), and an addition of strength 0 is skipped,
 * so it too reproduces the unsteered output bit for bit.
 *
 * <p>The common flow (load, compute a vector from pairs, generate with and without it) needs only this class,
 * {@link ContrastivePair} and {@link SteeringVector}:
 *
 * <pre>{@code
 * try (SteeredModel model = SteeredModel.load("gpt2")) {          // a Hugging Face id or a model folder
 *     SteeringVector happy = model.computeVector(6, List.of(
 *             new ContrastivePair("I love this, what a joy.", "I hate this, what a misery.")));
 *     String plain = model.generate("I think that", 40).text();                   // greedy, unsteered
 *     String steered = model.generate("I think that", 40, happy, 4.0).text();     // greedy, steered
 * }
 * }</pre>
 *
 * <p>The full API takes a {@link SteeringPlan} per call (several layers, weighted mixes, token scopes, ablation,
 * clamping), a {@link GenerationConfig} (sampling, stop tokens) and a model the caller owns:
 *
 * <pre>{@code
 * SteeredModel steered = SteeredModel.builder(model).plan(SteeringPlan.of(happy, 4.0)).build();
 * String happyText = steered.generate("I think that", GenerationConfig.greedy(40)).text();
 * String plainText = steered.generate("I think that", GenerationConfig.greedy(40), SteeringPlan.NONE).text();
 * }</pre>
 */
public final class SteeredModel implements AutoCloseable {
    /** Closes the batchers of steered models that became unreachable without being closed. */
    private static final Cleaner CLEANER = Cleaner.create();

    private final LanguageModel model;
    /** Whether {@link #close()} closes {@link #model}: true only for {@link #load(String)}. */
    private final boolean ownsModel;
    private final PlanSelector selector;
    private final Generator generator;
    /** Serves single-prompt calls when continuous batching is on, else null. */
    private final ContinuousBatcher<SteeringPlan> batcher;
    /** Created on the first chat call, so models without a chat template never read one. */
    private volatile ChatFormat chatFormat;

    private SteeredModel(LanguageModel model, PlanSelector selector, int batchRows, boolean ownsModel) {
        this.model = model;
        this.ownsModel = ownsModel;
        this.selector = selector;
        this.generator = new Generator(model);
        this.batcher = batchRows <= 0 ? null : new ContinuousBatcher<>(model, batchRows,
                (plans, consts) -> PlanHooks.build(plans, consts, model.hiddenSize()));
        if (batcher != null) {
            // A steered model dropped without close() must not keep its batcher thread (a GC root) forever.
            // The action holds the batcher only; the batcher and its hook builder never refer back to this.
            ContinuousBatcher<SteeringPlan> b = batcher;
            CLEANER.register(this, b::close);
        }
    }

    /**
     * Loads a model on the CPU and wraps it, unsteered by default: the short entry point. The steered model owns
     * the model, so closing it closes both.
     *
     * @param modelRef a model folder in Hugging Face layout, or a Hugging Face id (see {@link LanguageModel#load(String)})
     */
    public static SteeredModel load(String modelRef) {
        return new SteeredModel(LanguageModel.load(modelRef), p -> SteeringPlan.NONE, 0, true);
    }

    /**
     * A steering vector at {@code layer} ({@code resid_post}, 0-based) from contrastive pairs, with
     * {@link SteeringVectorComputer}'s defaults: mean difference of the last token's activations, positive minus
     * negative. Use {@link SteeringVectorComputer#builder(LanguageModel)} for other methods, positions or layers.
     *
     * @throws IllegalArgumentException if {@code pairs} is empty or {@code layer} is out of range
     */
    public SteeringVector computeVector(int layer, List<ContrastivePair> pairs) {
        return SteeringVectorComputer.builder(model).layers(layer).keepActivations(false).build()
                .compute(new ContrastiveDataset("pairs", pairs)).vector();
    }

    /** Greedy generation of up to {@code maxNewTokens} tokens with the plan chosen for this prompt. */
    public GenerationResult generate(String prompt, int maxNewTokens) {
        return generate(prompt, GenerationConfig.greedy(maxNewTokens));
    }

    /** Greedy generation of up to {@code maxNewTokens} tokens with {@code strength × vector} added. */
    public GenerationResult generate(String prompt, int maxNewTokens, SteeringVector vector, double strength) {
        return generate(prompt, GenerationConfig.greedy(maxNewTokens), SteeringPlan.of(vector, strength));
    }

    /** A steered model whose default plan is {@code plan}. */
    public static SteeredModel of(LanguageModel model, SteeringPlan plan) {
        return builder(model).plan(plan).build();
    }

    /**
     * @param model the model to steer; it stays owned by the caller
     * @return a builder, for a default plan, a plan selector or continuous batching
     */
    public static Builder builder(LanguageModel model) {
        return new Builder(model);
    }

    /** The underlying model. */
    public LanguageModel model() {
        return model;
    }

    /** The plan the default selector chooses for {@code prompt}. */
    public SteeringPlan planFor(String prompt) {
        SteeringPlan p = selector.select(prompt);
        return p == null ? SteeringPlan.NONE : p;
    }

    /** Generates with the plan chosen for this prompt. */
    public GenerationResult generate(String prompt, GenerationConfig config) {
        return generate(prompt, config, planFor(prompt));
    }

    /** Generates with {@code plan} ({@link SteeringPlan#NONE} for the plain model). */
    public GenerationResult generate(String prompt, GenerationConfig config, SteeringPlan plan) {
        return generate(prompt, config, plan, TokenListener.NONE, CancellationToken.NEVER);
    }

    /**
     * Generates with {@code plan}, streaming tokens to {@code listener}, cancellable through {@code cancel}. With
     * {@link Builder#continuousBatching(int)} the call is decoded together with the other calls in flight.
     */
    public GenerationResult generate(String prompt, GenerationConfig config, SteeringPlan plan,
                                     TokenListener listener, CancellationToken cancel) {
        if (batcher == null) {
            return generateBatch(List.of(prompt), config, List.of(plan), listener, cancel).get(0);
        }
        plan.validate(model.numLayers(), model.hiddenSize());
        try {
            return batcher.generate(PromptText.encode(model, prompt, "prompt"), config, plan, listener, cancel);
        } finally {
            Reference.reachabilityFence(this); // no cleaning while a call is in flight
        }
    }

    /** {@link #generate(String, GenerationConfig, SteeringPlan, TokenListener, CancellationToken)} on token ids. */
    public GenerationResult generateIds(long[] prompt, GenerationConfig config, SteeringPlan plan,
                                        TokenListener listener, CancellationToken cancel) {
        if (batcher == null) {
            return generateBatchIds(List.of(prompt), config, List.of(plan), listener, cancel).get(0);
        }
        plan.validate(model.numLayers(), model.hiddenSize());
        try {
            return batcher.generate(prompt, config, plan, listener, cancel);
        } finally {
            Reference.reachabilityFence(this); // no cleaning while a call is in flight
        }
    }

    /**
     * Stops the continuous-batching thread, if any. The model stays open when it is the caller's (built from one),
     * and is closed when this steered model loaded it ({@link #load(String)}). A steered model that is never
     * closed has its thread stopped once it is garbage collected, or when its model is closed.
     */
    @Override
    public void close() {
        if (batcher != null) {
            batcher.close();
        }
        if (ownsModel) {
            model.close();
        }
    }

    /** Generates for several prompts at once, each with the plan its selector chooses. */
    public List<GenerationResult> generateBatch(List<String> prompts, GenerationConfig config) {
        List<SteeringPlan> plans = new ArrayList<>();
        for (String p : prompts) {
            plans.add(planFor(p));
        }
        return generateBatch(prompts, config, plans, TokenListener.NONE, CancellationToken.NEVER);
    }

    /**
     * Generates for several prompts in one batch, row {@code i} steered by {@code plans.get(i)}.
     *
     * @throws IllegalArgumentException when the lists differ in size, or a plan does not fit the model
     */
    public List<GenerationResult> generateBatch(List<String> prompts, GenerationConfig config,
                                                List<SteeringPlan> plans, TokenListener listener,
                                                CancellationToken cancel) {
        if (prompts.size() != plans.size()) {
            throw new IllegalArgumentException(prompts.size() + " prompts but " + plans.size() + " plans");
        }
        if (prompts.isEmpty()) {
            throw new IllegalArgumentException("no prompts");
        }
        List<long[]> ids = new ArrayList<>();
        for (String p : prompts) {
            ids.add(PromptText.encode(model, p, "prompt " + ids.size()));
        }
        return generateBatchIds(ids, config, plans, listener, cancel);
    }

    /** {@link #generateBatch(List, GenerationConfig, List, TokenListener, CancellationToken)} on token ids. */
    public List<GenerationResult> generateBatchIds(List<long[]> ids, GenerationConfig config,
                                                   List<SteeringPlan> plans, TokenListener listener,
                                                   CancellationToken cancel) {
        if (ids.size() != plans.size()) {
            throw new IllegalArgumentException(ids.size() + " prompts but " + plans.size() + " plans");
        }
        for (SteeringPlan plan : plans) {
            plan.validate(model.numLayers(), model.hiddenSize());
        }
        try (NDManager consts = model.newCallManager()) {
            HookSet hooks = PlanHooks.build(plans, consts, model.hiddenSize());
            return generator.generate(ids, config, hooks, listener, cancel);
        }
    }

    /**
     * Log-probabilities of the next token after {@code prompt} under {@code plan} (natural log, length = vocab).
     */
    public float[] nextTokenLogProbs(String prompt, SteeringPlan plan) {
        long[] ids = encodeNonEmpty(prompt);
        return logProbsAll(ids, plan)[ids.length - 1];
    }

    /**
     * Log-probability of each token of {@code continuation} given {@code prompt} and the tokens before it, under
     * {@code plan}. The tokens are those the model sees in {@code prompt + continuation}
     * ({@link io.steer4j.djl.tokenizer.TextTokenizer#encodeContinuation}): write the text as it reads, with a space
     * where a word boundary is meant ({@code " wonderful"} after {@code "The film was"}), whichever tokenizer the
     * model has.
     *
     * @throws IllegalArgumentException when the prompt or the continuation comes to no tokens
     */
    public double[] continuationLogProbs(String prompt, String continuation, SteeringPlan plan) {
        io.steer4j.djl.tokenizer.ContinuationTokens split = model.tokenizer().encodeContinuation(prompt, continuation);
        long[] p = split.prompt();
        long[] c = split.continuation();
        if (p.length == 0) {
            throw new IllegalArgumentException("prompt encodes to no tokens");
        }
        if (c.length == 0) {
            throw new IllegalArgumentException("continuation encodes to no tokens: '" + continuation + "'");
        }
        long[] all = split.all();
        // Score with the whole text as the "prompt": generated-only scopes then never fire, which is what
        // scoring a fixed continuation under a prompt-length-aware plan should mean for the prompt part.
        float[][] lp = logProbsAll(all, plan, p.length);
        double[] out = new double[c.length];
        for (int i = 0; i < c.length; i++) {
            out[i] = lp[p.length - 1 + i][(int) c[i]];
        }
        return out;
    }

    /** Sum of {@link #continuationLogProbs}. */
    public double continuationLogProb(String prompt, String continuation, SteeringPlan plan) {
        double s = 0;
        for (double d : continuationLogProbs(prompt, continuation, plan)) {
            s += d;
        }
        return s;
    }

    private long[] encodeNonEmpty(String prompt) {
        long[] ids = PromptText.encode(model, prompt, "prompt");
        if (ids.length == 0) {
            throw new IllegalArgumentException("prompt encodes to no tokens");
        }
        return ids;
    }

    private float[][] logProbsAll(long[] ids, SteeringPlan plan) {
        return logProbsAll(ids, plan, ids.length);
    }

    /** Log-softmax over the vocabulary at every position; {@code promptLength} decides prompt vs generated scopes. */
    private float[][] logProbsAll(long[] ids, SteeringPlan plan, int promptLength) {
        plan.validate(model.numLayers(), model.hiddenSize());
        int vocab = model.config().vocabSize();
        return model.compute(() -> logProbsOnEngine(ids, plan, promptLength, vocab));
    }

    private float[][] logProbsOnEngine(long[] ids, SteeringPlan plan, int promptLength, int vocab) {
        try (NDManager m = model.newCallManager()) {
            HookSet hooks = PlanHooks.build(Collections.singletonList(plan), m, model.hiddenSize());
            NDArray logits = model.forward(ForwardInput.leftPadded(m, List.of(ids), model.padTokenId(),
                    new int[] {promptLength}), null, hooks, LogitsMode.ALL);
            float[] flat = logits.logSoftmax(-1).toFloatArray();
            float[][] out = new float[ids.length][];
            for (int i = 0; i < ids.length; i++) {
                out[i] = java.util.Arrays.copyOfRange(flat, i * vocab, (i + 1) * vocab);
            }
            return out;
        }
    }

    /**
     * The model's chat format (its chat template, tokenizer and end-of-turn tokens), read on first use.
     *
     * @throws io.steer4j.djl.chat.ChatTemplateException when the model has no chat template
     */
    public ChatFormat chatFormat() {
        ChatFormat f = chatFormat;
        if (f == null) {
            synchronized (this) {
                if (chatFormat == null) {
                    chatFormat = ChatFormat.of(model);
                }
                f = chatFormat;
            }
        }
        return f;
    }

    /**
     * Replies to a conversation: renders it with the model's chat template and the generation prompt, generates
     * under {@code plan} until an end-of-turn token (or the config's limits), and returns the assistant's message.
     * With {@link SteeringPlan#NONE} this is exactly {@link #generate} on the rendered text, stopping at the
     * end-of-turn tokens. To steer only what the assistant says, scope the plan:
     * {@code plan.withScope(TokenScope.generatedOnly())}, or
     * {@code plan.withScope(chatFormat().prompt(messages).assistantScope())} to include earlier assistant turns.
     *
     * @throws io.steer4j.djl.chat.ChatTemplateException when the model has no chat template or it refuses the
     *                                                   conversation
     */
    public ChatResult chat(List<ChatMessage> messages, GenerationConfig config, SteeringPlan plan) {
        return chat(chatFormat(), messages, config, plan, TokenListener.NONE, CancellationToken.NEVER);
    }

    /** {@link #chat(List, GenerationConfig, SteeringPlan)}, streaming the reply's tokens to {@code listener}. */
    public ChatResult chat(List<ChatMessage> messages, GenerationConfig config, SteeringPlan plan,
                           TokenListener listener, CancellationToken cancel) {
        return chat(chatFormat(), messages, config, plan, listener, cancel);
    }

    /** {@link #chat(List, GenerationConfig, SteeringPlan, TokenListener, CancellationToken)} in a given format. */
    public ChatResult chat(ChatFormat format, List<ChatMessage> messages, GenerationConfig config, SteeringPlan plan,
                           TokenListener listener, CancellationToken cancel) {
        ChatPrompt prompt = format.prompt(messages);
        java.util.Set<Long> stops = new java.util.LinkedHashSet<>(config.stopTokenIds());
        stops.addAll(format.endOfTurnIds());
        GenerationConfig chatConfig = config.toBuilder().stopTokenIds(stops).build();
        GenerationResult result = generateIds(prompt.ids(), chatConfig, plan, listener, cancel);
        return new ChatResult(ChatMessage.assistant(result.text()), prompt, result);
    }

    /** Options. */
    public static final class Builder {
        private final LanguageModel model;
        private PlanSelector selector = p -> SteeringPlan.NONE;
        private int batchRows;

        private Builder(LanguageModel model) {
            this.model = model;
        }

        /** Steers every request with {@code plan} unless the call passes its own. */
        public Builder plan(SteeringPlan plan) {
            plan.validate(model.numLayers(), model.hiddenSize());
            this.selector = p -> plan;
            return this;
        }

        /** Chooses the plan per request. */
        public Builder selector(PlanSelector s) {
            this.selector = s;
            return this;
        }

        /**
         * Decodes concurrent single-prompt calls together, up to {@code maxRows} at a time (see
         * {@link ContinuousBatcher}): for servers whose threads each generate for one user. Close the steered model
         * to stop its batcher thread.
         */
        public Builder continuousBatching(int maxRows) {
            if (maxRows < 1) {
                throw new IllegalArgumentException("maxRows must be >= 1, got " + maxRows);
            }
            this.batchRows = maxRows;
            return this;
        }

        /**
         * @return the steered model; close it when continuous batching is on
         */
        public SteeredModel build() {
            return new SteeredModel(model, selector, batchRows, false);
        }
    }
}
