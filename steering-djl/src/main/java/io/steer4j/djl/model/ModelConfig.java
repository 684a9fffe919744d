package io.steer4j.djl.model;

import io.steer4j.core.format.UntrustedJson;
import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * The shape of a decoder-only transformer, read from a Hugging Face {@code config.json}: the numbers and flags of
 * one checkpoint. What is fixed for a whole family (norm kind, position encoding, MLP form, weight names) lives in
 * the family description, chosen by {@link #modelType()}.
 *
 * @param modelType         Hugging Face {@code model_type}: one of {@link #SUPPORTED_TYPES}
 * @param vocabSize         rows of the token embedding
 * @param contextLength     maximum number of positions ({@code n_positions}, {@code max_position_embeddings})
 * @param hiddenSize        width of the residual stream
 * @param numLayers         number of blocks
 * @param numHeads          query heads
 * @param numKvHeads        key/value heads ({@code num_key_value_heads}; equal to {@code numHeads} without
 *                          grouped-query attention)
 * @param headDim           width of one head ({@code head_dim} when the config gives it, else hidden / heads)
 * @param intermediateSize  MLP width
 * @param layerNormEps      epsilon of the LayerNorm or RMSNorm
 * @param activation        MLP activation name ({@code gelu_new} for GPT-2, {@code silu} for Llama, {@code gelu}
 *                          for Pythia)
 * @param eosTokenId        end-of-sequence token id (the first one when the config lists several), or -1
 * @param tieWordEmbeddings whether the LM head reuses the token embedding
 * @param rope              rotary position embedding, or null for learned absolute positions (GPT-2)
 * @param parallelResidual  whether attention and MLP both read the block input ({@code use_parallel_residual})
 * @param qkvBias           whether the query/key/value projections have biases
 * @param outputBias        whether the attention output projection has a bias
 * @param mlpBias           whether the MLP projections have biases
 */
public record ModelConfig(String modelType, int vocabSize, int contextLength, int hiddenSize, int numLayers,
                          int numHeads, int numKvHeads, int headDim, int intermediateSize, double layerNormEps,
                          String activation, int eosTokenId, boolean tieWordEmbeddings, RopeConfig rope,
                          boolean parallelResidual, boolean qkvBias, boolean outputBias, boolean mlpBias) {

    /** Most blocks a config may claim (published decoders have at most ~130). */
    public static final int MAX_LAYERS = 4096;
    /** Most attention heads a config may claim (published decoders have at most ~130). */
    public static final int MAX_HEADS = 4096;

    /** Model types this version can run. */
    public static final List<String> SUPPORTED_TYPES = ModelFamily.supportedTypes();

    /** Validates the sizes. */
    public ModelConfig {
        if (hiddenSize <= 0 || numLayers <= 0 || numHeads <= 0 || numKvHeads <= 0 || headDim <= 0 || vocabSize <= 0
                || contextLength <= 0 || intermediateSize <= 0) {
            throw new ModelLoadException("config has non-positive sizes: hidden=" + hiddenSize + " layers="
                    + numLayers + " heads=" + numHeads + " kv heads=" + numKvHeads + " head dim=" + headDim
                    + " vocab=" + vocabSize + " positions=" + contextLength + " intermediate=" + intermediateSize);
        }
        if (numLayers > MAX_LAYERS || numHeads > MAX_HEADS) {
            // Arrays are sized by these before any weight is read: a claim of 2^31-1 layers was an OutOfMemoryError.
            throw new ModelLoadException("config claims " + numLayers + " layers and " + numHeads + " heads; steer4j "
                    + "reads at most " + MAX_LAYERS + " layers and " + MAX_HEADS + " heads (published models have "
                    + "under 200 of each): crafted or corrupt?");
        }
        if (numHeads % numKvHeads != 0) {
            throw new ModelLoadException(numHeads + " attention heads are not a multiple of " + numKvHeads
                    + " key/value heads");
        }
        if (rope != null && rope.dims() > headDim) {
            throw new ModelLoadException("rotary dimensions " + rope.dims() + " exceed the head size " + headDim);
        }
    }

    /**
     * Published {@code model_type}s that this version does not run: a refusal names one of these, and says only
     * the length of any other value, since an error message never quotes what a file holds (a folder's
     * config.json may be a link to, or a copy of, a secret).
     */
    private static final Set<String> KNOWN_OTHER_TYPES = Set.of("bert", "roberta", "distilbert", "albert", "electra",
            "deberta", "deberta-v2", "xlm-roberta", "modernbert", "t5", "mt5", "bart", "mbart", "opt", "bloom",
            "falcon", "gptj", "gpt_bigcode", "gpt_neo", "gemma", "gemma2", "gemma3", "gemma3_text", "phi", "phi3",
            "phimoe", "mixtral", "qwen2_moe", "qwen3", "qwen3_moe", "stablelm", "starcoder2", "olmo", "olmo2",
            "mamba", "mamba2", "rwkv", "cohere", "cohere2", "granite", "granitemoe", "deepseek_v2", "deepseek_v3",
            "internlm2", "baichuan", "chatglm", "mpt", "jamba", "exaone", "nemotron", "smollm3", "llama4", "mllama",
            "whisper", "clip", "vit");

    private static String describeType(String type) {
        if (type.isEmpty()) {
            return "(none given)";
        }
        return KNOWN_OTHER_TYPES.contains(type) ? "'" + type + "'"
                : "(a value of " + type.length() + " characters that is no published model type)";
    }

    /** Reads {@code config.json} from a model folder. */
    public static ModelConfig read(Path configJson) {
        JsonNode n;
        try {
            n = UntrustedJson.read(configJson);
        } catch (IOException e) {
            throw new ModelLoadException("cannot read config: " + e.getMessage(), e);
        }
        if (n == null || !n.isObject()) {
            throw new ModelLoadException(configJson + " is not a JSON object");
        }
        String type = n.path("model_type").asText("");
        ModelFamily family = ModelFamily.forType(type);
        if (family == null) {
            throw new ModelLoadException(configJson + ": unsupported model_type " + describeType(type)
                    + "; supported: " + SUPPORTED_TYPES
                    + (type.equals("bert") ? " (a BERT encoder: load it with EncoderModel.load)" : ""));
        }
        return family.readConfig(n, configJson);
    }

    /** The family description this config's model type belongs to. */
    ModelFamily family() {
        return ModelFamily.forType(modelType);
    }

    /** Query heads that share one key/value head (1 without grouped-query attention). */
    public int queriesPerKvHead() {
        return numHeads / numKvHeads;
    }

    // ----------------------------------------------------------------------------- config.json field helpers

    static int required(JsonNode n, String field, Path file) {
        JsonNode v = n.get(field);
        if (v == null || !v.canConvertToInt()) {
            throw new ModelLoadException(file + ": missing or non-integer field '" + field + "'");
        }
        return v.asInt();
    }

    /** An optional integer; JSON null counts as absent (HF writes {@code "n_inner": null}, {@code "head_dim": null}). */
    static int optionalInt(JsonNode n, String field, int fallback, Path file) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.canConvertToInt()) {
            throw new ModelLoadException(file + ": field '" + field + "' is not an integer but "
                    + ConfigValueText.kind(v));
        }
        return v.asInt();
    }

    static double optionalDouble(JsonNode n, String field, double fallback, Path file) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isNumber()) {
            throw new ModelLoadException(file + ": field '" + field + "' is not a number but "
                    + ConfigValueText.kind(v));
        }
        return v.asDouble();
    }

    static boolean optionalBoolean(JsonNode n, String field, boolean fallback) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? fallback : v.asBoolean(fallback);
    }

    /** {@code eos_token_id}: an int, or a list (Llama 3 lists several; the first is the canonical one), or -1. */
    static int eosTokenId(JsonNode n) {
        JsonNode eos = n.get("eos_token_id");
        if (eos != null && eos.isArray() && !eos.isEmpty()) {
            eos = eos.get(0);
        }
        return eos == null || !eos.canConvertToInt() ? -1 : eos.asInt();
    }

    /**
     * A builder with one named setter per component, for family readers: eighteen positional arguments, four of
     * them bare booleans, were easy to get wrong silently. Unset numbers are 0 and fail {@link ModelConfig}'s checks.
     *
     * @param modelType the config's {@code model_type}
     */
    public static Builder builder(String modelType) {
        return new Builder(modelType);
    }

    /** Named setters for {@link ModelConfig}'s components; {@link #build()} validates them. */
    public static final class Builder {
        private String modelType;
        private int vocabSize;
        private int contextLength;
        private int hiddenSize;
        private int numLayers;
        private int numHeads;
        private int numKvHeads;
        private int headDim;
        private int intermediateSize;
        private double layerNormEps;
        private String activation;
        private int eosTokenId;
        private boolean tieWordEmbeddings;
        private RopeConfig rope;
        private boolean parallelResidual;
        private boolean qkvBias;
        private boolean outputBias;
        private boolean mlpBias;

        private Builder(String modelType) {
            this.modelType = modelType;
        }

        /** Sets vocabSize: vocabulary size. */
        public Builder vocabSize(int vocabSize) {
            this.vocabSize = vocabSize;
            return this;
        }

        /** Sets contextLength: positions the model was trained for. */
        public Builder contextLength(int contextLength) {
            this.contextLength = contextLength;
            return this;
        }

        /** Sets hiddenSize: width of the residual stream. */
        public Builder hiddenSize(int hiddenSize) {
            this.hiddenSize = hiddenSize;
            return this;
        }

        /** Sets numLayers: number of transformer blocks. */
        public Builder numLayers(int numLayers) {
            this.numLayers = numLayers;
            return this;
        }

        /** Sets numHeads: query heads. */
        public Builder numHeads(int numHeads) {
            this.numHeads = numHeads;
            return this;
        }

        /** Sets numKvHeads: key/value heads (grouped-query attention; equal to numHeads otherwise). */
        public Builder numKvHeads(int numKvHeads) {
            this.numKvHeads = numKvHeads;
            return this;
        }

        /** Sets headDim: size of one head. */
        public Builder headDim(int headDim) {
            this.headDim = headDim;
            return this;
        }

        /** Sets intermediateSize: width of the MLP. */
        public Builder intermediateSize(int intermediateSize) {
            this.intermediateSize = intermediateSize;
            return this;
        }

        /** Sets layerNormEps: epsilon of the norms. */
        public Builder layerNormEps(double layerNormEps) {
            this.layerNormEps = layerNormEps;
            return this;
        }

        /** Sets activation: the MLP activation as the config names it. */
        public Builder activation(String activation) {
            this.activation = activation;
            return this;
        }

        /** Sets eosTokenId: end-of-sequence id (-1 if none). */
        public Builder eosTokenId(int eosTokenId) {
            this.eosTokenId = eosTokenId;
            return this;
        }

        /** Sets tieWordEmbeddings: whether the head reuses the token embedding. */
        public Builder tieWordEmbeddings(boolean tieWordEmbeddings) {
            this.tieWordEmbeddings = tieWordEmbeddings;
            return this;
        }

        /** Sets rope: rotary embedding settings, or null for absolute positions. */
        public Builder rope(RopeConfig rope) {
            this.rope = rope;
            return this;
        }

        /** Sets parallelResidual: whether attention and MLP read the same input (GPT-NeoX). */
        public Builder parallelResidual(boolean parallelResidual) {
            this.parallelResidual = parallelResidual;
            return this;
        }

        /** Sets qkvBias: whether the query/key/value projections have biases. */
        public Builder qkvBias(boolean qkvBias) {
            this.qkvBias = qkvBias;
            return this;
        }

        /** Sets outputBias: whether the attention output projection has a bias. */
        public Builder outputBias(boolean outputBias) {
            this.outputBias = outputBias;
            return this;
        }

        /** Sets mlpBias: whether the MLP projections have biases. */
        public Builder mlpBias(boolean mlpBias) {
            this.mlpBias = mlpBias;
            return this;
        }

        /** The config; throws {@link ModelLoadException} when the sizes are inconsistent. */
        public ModelConfig build() {
            return new ModelConfig(modelType, vocabSize, contextLength, hiddenSize, numLayers, numHeads, numKvHeads,
                    headDim, intermediateSize, layerNormEps, activation, eosTokenId, tieWordEmbeddings, rope,
                    parallelResidual, qkvBias, outputBias, mlpBias);
        }
    }
}
