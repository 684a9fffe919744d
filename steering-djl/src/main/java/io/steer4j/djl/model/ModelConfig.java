package io.steer4j.djl.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The shape of a decoder-only transformer, read from a Hugging Face {@code config.json}.
 *
 * @param modelType         Hugging Face {@code model_type}, e.g. {@code "gpt2"}
 * @param vocabSize         rows of the token embedding
 * @param contextLength     maximum number of positions ({@code n_positions})
 * @param hiddenSize        width of the residual stream ({@code n_embd})
 * @param numLayers         number of blocks
 * @param numHeads          attention heads
 * @param intermediateSize  MLP width ({@code n_inner}, default 4 × hidden)
 * @param layerNormEps      LayerNorm epsilon
 * @param activation        MLP activation name ({@code gelu_new} for GPT-2)
 * @param eosTokenId        end-of-sequence token id, or -1
 * @param tieWordEmbeddings whether the LM head reuses the token embedding
 */
public record ModelConfig(String modelType, int vocabSize, int contextLength, int hiddenSize, int numLayers,
                          int numHeads, int intermediateSize, double layerNormEps, String activation,
                          int eosTokenId, boolean tieWordEmbeddings) {

    /** Model types this version can run. */
    public static final List<String> SUPPORTED_TYPES = List.of("gpt2");

    public ModelConfig {
        if (hiddenSize <= 0 || numLayers <= 0 || numHeads <= 0 || vocabSize <= 0 || contextLength <= 0) {
            throw new ModelLoadException("config has non-positive sizes: hidden=" + hiddenSize + " layers="
                    + numLayers + " heads=" + numHeads + " vocab=" + vocabSize + " positions=" + contextLength);
        }
        if (hiddenSize % numHeads != 0) {
            throw new ModelLoadException("hidden size " + hiddenSize + " is not divisible by " + numHeads + " heads");
        }
    }

    /** Width of one attention head. */
    public int headDim() {
        return hiddenSize / numHeads;
    }

    /** Reads {@code config.json} from a model folder. */
    public static ModelConfig read(Path configJson) {
        JsonNode n;
        try {
            n = new ObjectMapper().readTree(Files.readString(configJson));
        } catch (IOException e) {
            throw new ModelLoadException("cannot read " + configJson + ": " + e.getMessage(), e);
        }
        if (n == null || !n.isObject()) {
            throw new ModelLoadException(configJson + " is not a JSON object");
        }
        String type = n.path("model_type").asText("");
        if (!SUPPORTED_TYPES.contains(type)) {
            throw new ModelLoadException(configJson + ": unsupported model_type '" + type + "' (architectures "
                    + n.path("architectures") + "); supported: " + SUPPORTED_TYPES);
        }
        int hidden = required(n, "n_embd", configJson);
        JsonNode inner = n.get("n_inner");
        int intermediate = inner == null || inner.isNull() ? 4 * hidden : inner.asInt();
        JsonNode eos = n.get("eos_token_id");
        return new ModelConfig(type, required(n, "vocab_size", configJson), required(n, "n_positions", configJson),
                hidden, required(n, "n_layer", configJson), required(n, "n_head", configJson), intermediate,
                n.path("layer_norm_epsilon").asDouble(1e-5), n.path("activation_function").asText("gelu_new"),
                eos == null || !eos.canConvertToInt() ? -1 : eos.asInt(),
                n.path("tie_word_embeddings").asBoolean(true));
    }

    private static int required(JsonNode n, String field, Path file) {
        JsonNode v = n.get(field);
        if (v == null || !v.canConvertToInt()) {
            throw new ModelLoadException(file + ": missing or non-integer field '" + field + "'");
        }
        return v.asInt();
    }
}
