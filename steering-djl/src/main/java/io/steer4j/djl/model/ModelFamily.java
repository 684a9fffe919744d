package io.steer4j.djl.model;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import io.steer4j.djl.engine.DecoderSpec;
import io.steer4j.djl.engine.NormKind;
import io.steer4j.djl.engine.Normalization;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.steer4j.djl.model.ModelConfig.eosTokenId;
import static io.steer4j.djl.model.ModelConfig.optionalBoolean;
import static io.steer4j.djl.model.ModelConfig.optionalDouble;
import static io.steer4j.djl.model.ModelConfig.optionalInt;
import static io.steer4j.djl.model.ModelConfig.required;

/**
 * A decoder family as a small description: which norm, which position encoding, which MLP form, where the weights
 * are and how they are laid out. {@link #spec} turns it and a checkpoint's config into the one forward description
 * ({@link DecoderSpec}) that every engine runs: libtorch ({@link BlockTransformer}) and the Java CPU engine
 * ({@link io.steer4j.djl.engine.cpu.CpuDecoder}) alike, so hooks, the KV cache and left padding behave the same in
 * every family; adding a family means adding a constant here (config fields, weight names), not another forward
 * pass.
 *
 * <p>Per checkpoint numbers and flags (GQA heads, rotary fraction, biases, parallel residual) are read into
 * {@link ModelConfig} by {@link #readConfig}; {@link #load} maps the checkpoint's tensors onto
 * {@link ModelWeights}' single layout (q|k|v fused, gate|up fused, matrices {@code [out, in]}).
 */
enum ModelFamily {
    /** GPT-2: LayerNorm, learned positions, Conv1D weights {@code [in, out]}, tanh GELU, tied head. */
    GPT2(List.of("gpt2"), NormKind.LAYER_NORM, Positions.LEARNED, Mlp.PLAIN,
            List.of("", "transformer."), List.of(".attn.bias", ".attn.masked_bias")) {
        @Override
        ModelConfig readConfig(JsonNode n, Path f) {
            int hidden = required(n, "n_embd", f);
            int heads = required(n, "n_head", f);
            if (hidden % heads != 0) {
                throw new ModelLoadException("hidden size " + hidden + " is not divisible by " + heads + " heads");
            }
            return ModelConfig.builder("gpt2").vocabSize(required(n, "vocab_size", f))
                    .contextLength(required(n, "n_positions", f)).hiddenSize(hidden)
                    .numLayers(required(n, "n_layer", f)).numHeads(heads).numKvHeads(heads).headDim(hidden / heads)
                    .intermediateSize(optionalInt(n, "n_inner", 4 * hidden, f))
                    .layerNormEps(optionalDouble(n, "layer_norm_epsilon", 1e-5, f))
                    .activation(n.path("activation_function").asText("gelu_new")).eosTokenId(eosTokenId(n))
                    .tieWordEmbeddings(optionalBoolean(n, "tie_word_embeddings", true)).rope(null)
                    .parallelResidual(false).qkvBias(true).outputBias(true).mlpBias(true).build();
        }

        @Override
        WeightLayout layout(ModelConfig c, WeightStore w) {
            long d = c.hiddenSize();
            long inner = c.intermediateSize();
            TensorRecipe wte = w.stored("wte.weight", c.vocabSize(), d);
            TensorRecipe wpe = w.stored("wpe.weight", c.contextLength(), d);
            WeightLayout.Layer[] layers = new WeightLayout.Layer[c.numLayers()];
            for (int i = 0; i < layers.length; i++) {
                String p = "h." + i + ".";
                // Conv1D [in, out] passed as a transposed view: libtorch runs x @ W with the bias fused, no copy.
                layers[i] = new WeightLayout.Layer(
                        layerNorm(w, p + "ln_1", d), layerNorm(w, p + "ln_2", d),
                        conv1d(w, p + "attn.c_attn.weight", d, 3 * d), w.stored(p + "attn.c_attn.bias", 3 * d),
                        conv1d(w, p + "attn.c_proj.weight", d, d), w.stored(p + "attn.c_proj.bias", d),
                        conv1d(w, p + "mlp.c_fc.weight", d, inner), w.stored(p + "mlp.c_fc.bias", inner),
                        conv1d(w, p + "mlp.c_proj.weight", inner, d), w.stored(p + "mlp.c_proj.bias", d));
            }
            TensorRecipe head = c.tieWordEmbeddings() || !w.has("lm_head.weight") ? wte
                    : w.stored("lm_head.weight", c.vocabSize(), d);
            return new WeightLayout(wte, wpe, layers, layerNorm(w, "ln_f", d), head);
        }
    },

    /**
     * Llama and the families with its exact shapes (Mistral; Qwen2, which adds q/k/v biases): RMSNorm, RoPE over
     * the whole head, SwiGLU, grouped-query attention, nn.Linear {@code [out, in]} weights, untied head by default.
     */
    LLAMA(List.of("llama", "mistral", "qwen2"), NormKind.RMS_NORM, Positions.ROTARY, Mlp.GATED,
            List.of("", "model."), List.of(".rotary_emb.inv_freq")) {
        @Override
        ModelConfig readConfig(JsonNode n, Path f) {
            String type = n.path("model_type").asText();
            int hidden = required(n, "hidden_size", f);
            int heads = required(n, "num_attention_heads", f);
            int kvHeads = optionalInt(n, "num_key_value_heads", heads, f);
            int headDim = optionalInt(n, "head_dim", -1, f);
            if (headDim < 0) {
                if (hidden % heads != 0) {
                    throw new ModelLoadException(f + ": hidden size " + hidden + " is not divisible by " + heads
                            + " heads and config gives no head_dim");
                }
                headDim = hidden / heads;
            }
            int positions = required(n, "max_position_embeddings", f);
            boolean attnBias = optionalBoolean(n, "attention_bias", false);
            boolean qkvBias = type.equals("qwen2") || attnBias; // Qwen2 always has q/k/v biases, never an o bias
            boolean outBias = !type.equals("qwen2") && attnBias;
            // Sliding-window attention equals full attention while the sequence fits the window; capping the
            // context there keeps every accepted sequence exact rather than silently approximate.
            boolean sliding = type.equals("mistral")
                    || (type.equals("qwen2") && optionalBoolean(n, "use_sliding_window", false));
            int window = optionalInt(n, "sliding_window", 0, f);
            if (sliding && window > 0 && window < positions) {
                positions = window;
            }
            return ModelConfig.builder(type).vocabSize(required(n, "vocab_size", f)).contextLength(positions)
                    .hiddenSize(hidden).numLayers(required(n, "num_hidden_layers", f)).numHeads(heads)
                    .numKvHeads(kvHeads).headDim(headDim).intermediateSize(required(n, "intermediate_size", f))
                    .layerNormEps(optionalDouble(n, "rms_norm_eps", 1e-6, f))
                    .activation(n.path("hidden_act").asText("silu")).eosTokenId(eosTokenId(n))
                    .tieWordEmbeddings(optionalBoolean(n, "tie_word_embeddings", false))
                    .rope(rope(n, headDim, 1.0, "rope_theta", f)).parallelResidual(false).qkvBias(qkvBias)
                    .outputBias(outBias).mlpBias(optionalBoolean(n, "mlp_bias", false)).build();
        }

        @Override
        WeightLayout layout(ModelConfig c, WeightStore w) {
            long d = c.hiddenSize();
            long q = (long) c.numHeads() * c.headDim();
            long kv = (long) c.numKvHeads() * c.headDim();
            long inner = c.intermediateSize();
            TensorRecipe embed = w.stored("embed_tokens.weight", c.vocabSize(), d);
            WeightLayout.Layer[] layers = new WeightLayout.Layer[c.numLayers()];
            for (int i = 0; i < layers.length; i++) {
                String p = "layers." + i + ".";
                String a = p + "self_attn.";
                TensorRecipe qkvW = fuse(w.stored(a + "q_proj.weight", q, d), w.stored(a + "k_proj.weight", kv, d),
                        w.stored(a + "v_proj.weight", kv, d));
                TensorRecipe qkvB = !c.qkvBias() ? null : fuse(w.stored(a + "q_proj.bias", q),
                        w.stored(a + "k_proj.bias", kv), w.stored(a + "v_proj.bias", kv));
                TensorRecipe upW = fuse(w.stored(p + "mlp.gate_proj.weight", inner, d),
                        w.stored(p + "mlp.up_proj.weight", inner, d));
                TensorRecipe upB = !c.mlpBias() ? null : fuse(w.stored(p + "mlp.gate_proj.bias", inner),
                        w.stored(p + "mlp.up_proj.bias", inner));
                layers[i] = new WeightLayout.Layer(
                        rmsNorm(w, p + "input_layernorm", d), rmsNorm(w, p + "post_attention_layernorm", d),
                        qkvW, qkvB,
                        w.stored(a + "o_proj.weight", d, q), c.outputBias() ? w.stored(a + "o_proj.bias", d) : null,
                        upW, upB,
                        w.stored(p + "mlp.down_proj.weight", d, inner),
                        c.mlpBias() ? w.stored(p + "mlp.down_proj.bias", d) : null);
            }
            TensorRecipe head = c.tieWordEmbeddings() ? embed : w.stored("lm_head.weight", c.vocabSize(), d);
            return new WeightLayout(embed, null, layers, rmsNorm(w, "norm", d), head);
        }
    },

    /**
     * GPT-NeoX (Pythia): LayerNorm, partial RoPE ({@code rotary_pct} of each head), a fused query_key_value
     * weight laid out per head as {@code [heads, 3, headDim]}, parallel residual by default, untied
     * {@code embed_out}.
     */
    GPT_NEOX(List.of("gpt_neox"), NormKind.LAYER_NORM, Positions.ROTARY, Mlp.PLAIN,
            List.of("", "gpt_neox."), List.of(".attention.bias", ".attention.masked_bias", ".rotary_emb.inv_freq")) {
        @Override
        ModelConfig readConfig(JsonNode n, Path f) {
            int hidden = required(n, "hidden_size", f);
            int heads = required(n, "num_attention_heads", f);
            if (hidden % heads != 0) {
                throw new ModelLoadException("hidden size " + hidden + " is not divisible by " + heads + " heads");
            }
            int headDim = hidden / heads;
            // Newer configs call the fraction partial_rotary_factor and the base rope_theta.
            double pct = optionalDouble(n, "partial_rotary_factor", optionalDouble(n, "rotary_pct", 0.25, f), f);
            boolean bias = optionalBoolean(n, "attention_bias", true);
            return ModelConfig.builder("gpt_neox").vocabSize(required(n, "vocab_size", f))
                    .contextLength(required(n, "max_position_embeddings", f)).hiddenSize(hidden)
                    .numLayers(required(n, "num_hidden_layers", f)).numHeads(heads).numKvHeads(heads).headDim(headDim)
                    .intermediateSize(required(n, "intermediate_size", f))
                    .layerNormEps(optionalDouble(n, "layer_norm_eps", 1e-5, f))
                    .activation(n.path("hidden_act").asText("gelu")).eosTokenId(eosTokenId(n))
                    .tieWordEmbeddings(optionalBoolean(n, "tie_word_embeddings", false))
                    .rope(rope(n, headDim, pct, n.has("rope_theta") ? "rope_theta" : "rotary_emb_base", f))
                    .parallelResidual(optionalBoolean(n, "use_parallel_residual", true)).qkvBias(bias)
                    .outputBias(bias).mlpBias(true).build();
        }

        @Override
        WeightLayout layout(ModelConfig c, WeightStore w) {
            long d = c.hiddenSize();
            long h = c.numHeads();
            long hd = c.headDim();
            long inner = c.intermediateSize();
            TensorRecipe embed = w.stored("embed_in.weight", c.vocabSize(), d);
            WeightLayout.Layer[] layers = new WeightLayout.Layer[c.numLayers()];
            for (int i = 0; i < layers.length; i++) {
                String p = "layers." + i + ".";
                // Rows of query_key_value are [heads, 3, headDim] (q, k, v interleaved per head); regroup them once
                // into q | k | v so the forward pass splits every family's projection the same way.
                String qkv = p + "attention.query_key_value.";
                TensorRecipe qkvW = new TensorRecipe.RegroupedPerHead(w.stored(qkv + "weight", 3 * d, d), h, hd);
                TensorRecipe qkvB = !c.qkvBias() ? null
                        : new TensorRecipe.RegroupedPerHead(w.stored(qkv + "bias", 3 * d), h, hd);
                layers[i] = new WeightLayout.Layer(
                        layerNorm(w, p + "input_layernorm", d), layerNorm(w, p + "post_attention_layernorm", d),
                        qkvW, qkvB,
                        w.stored(p + "attention.dense.weight", d, d),
                        c.outputBias() ? w.stored(p + "attention.dense.bias", d) : null,
                        w.stored(p + "mlp.dense_h_to_4h.weight", inner, d), w.stored(p + "mlp.dense_h_to_4h.bias", inner),
                        w.stored(p + "mlp.dense_4h_to_h.weight", d, inner), w.stored(p + "mlp.dense_4h_to_h.bias", d));
            }
            TensorRecipe head = c.tieWordEmbeddings() ? embed : w.stored("embed_out.weight", c.vocabSize(), d);
            return new WeightLayout(embed, null, layers, layerNorm(w, "final_layer_norm", d), head);
        }
    };

    /** How token positions enter the model. */
    enum Positions {
        /** A learned embedding added to the token embedding. */
        LEARNED,
        /** Rotary embedding of queries and keys ({@link ModelConfig#rope()}). */
        ROTARY
    }

    /** The MLP form. */
    enum Mlp {
        /** {@code down(act(up(x)))}. */
        PLAIN,
        /** {@code down(act(gate(x)) * up(x))} (SwiGLU with {@code silu}). */
        GATED
    }

    private final List<String> modelTypes;
    private final NormKind norm;
    private final Positions positions;
    private final Mlp mlp;
    private final List<String> namePrefixes;
    private final List<String> ignoredSuffixes;

    ModelFamily(List<String> modelTypes, NormKind norm, Positions positions, Mlp mlp, List<String> namePrefixes,
                List<String> ignoredSuffixes) {
        this.modelTypes = modelTypes;
        this.norm = norm;
        this.positions = positions;
        this.mlp = mlp;
        this.namePrefixes = namePrefixes;
        this.ignoredSuffixes = ignoredSuffixes;
    }

    /** Reads this family's {@code config.json} fields. */
    abstract ModelConfig readConfig(JsonNode n, Path file);

    /**
     * The checkpoint's tensors as recipes for the shared layout, every shape checked against the config; no value
     * is read (see {@link TensorRecipe}).
     */
    abstract WeightLayout layout(ModelConfig c, WeightStore w);

    /** Loads the checkpoint's tensors into libtorch arrays in the shared layout ({@link #layout}, then made). */
    ModelWeights load(ModelConfig c, WeightStore w, NDManager m) {
        return layout(c, w).arrays(w, m);
    }

    NormKind norm() {
        return norm;
    }

    /**
     * The forward description of a checkpoint of this family with config {@code c}.
     *
     * @throws ModelLoadException for an activation no engine computes
     */
    DecoderSpec spec(ModelConfig c) {
        return new DecoderSpec(c.hiddenSize(), c.numHeads(), c.numKvHeads(), c.headDim(), c.intermediateSize(),
                c.vocabSize(), new Normalization(norm, (float) c.layerNormEps()), ActivationNames.parse(c.activation()),
                mlp == Mlp.GATED, c.parallelResidual(), positions == Positions.ROTARY ? c.rope().angles() : null);
    }

    Positions positions() {
        return positions;
    }

    Mlp mlp() {
        return mlp;
    }

    /** Prefixes a checkpoint may put before the body's tensor names ({@code model.}, {@code gpt_neox.}, ...). */
    List<String> namePrefixes() {
        return namePrefixes;
    }

    /** Whether a tensor the forward pass does not read is an expected buffer (causal masks, cached frequencies). */
    boolean isIgnorable(String tensorName) {
        return ignoredSuffixes.stream().anyMatch(tensorName::endsWith);
    }

    /** The family of a {@code model_type}, or null. */
    static ModelFamily forType(String modelType) {
        for (ModelFamily f : values()) {
            if (f.modelTypes.contains(modelType)) {
                return f;
            }
        }
        return null;
    }

    /** Every supported {@code model_type}. */
    static List<String> supportedTypes() {
        List<String> out = new ArrayList<>();
        for (ModelFamily f : values()) {
            out.addAll(f.modelTypes);
        }
        return List.copyOf(out);
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private static WeightLayout.Norm layerNorm(WeightStore w, String name, long d) {
        return new WeightLayout.Norm(w.stored(name + ".weight", d), w.stored(name + ".bias", d));
    }

    private static WeightLayout.Norm rmsNorm(WeightStore w, String name, long d) {
        return new WeightLayout.Norm(w.stored(name + ".weight", d), null);
    }

    /** A Conv1D weight stored {@code [in, out]}, used as {@code [out, in]}. */
    private static TensorRecipe conv1d(WeightStore w, String name, long in, long out) {
        return new TensorRecipe.Transposed(w.stored(name, in, out));
    }

    /** Joined along the output axis: one matmul instead of several per token. */
    private static TensorRecipe fuse(TensorRecipe... parts) {
        return new TensorRecipe.Concat(List.of(parts));
    }

    /**
     * The rotary config: {@code rope_parameters} (newer transformers) or {@code rope_theta} / {@code rope_scaling};
     * {@code partial_rotary_factor} (when the config has one) times {@code fraction} of the head is rotated.
     */
    private static RopeConfig rope(JsonNode n, int headDim, double fraction, String thetaField, Path f) {
        JsonNode params = n.get("rope_parameters");
        double theta = optionalDouble(n, thetaField, 10000.0, f);
        JsonNode scaling = n.get("rope_scaling");
        if (params != null && params.isObject()) {
            theta = optionalDouble(params, "rope_theta", theta, f);
            scaling = params;
        }
        if (fraction == 1.0) {
            fraction = optionalDouble(n, "partial_rotary_factor", 1.0, f);
        }
        int dims = (int) (headDim * fraction); // int() truncation, as transformers does
        return RopeConfig.read(scaling, dims, theta, f);
    }
}
