package io.steer4j.djl.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static io.steer4j.djl.model.ModelConfig.optionalDouble;
import static io.steer4j.djl.model.ModelConfig.optionalInt;
import static io.steer4j.djl.model.ModelConfig.required;

/**
 * The shape of a BERT encoder, read from a Hugging Face {@code config.json} with {@code model_type} {@code bert}.
 *
 * @param vocabSize        rows of the word embedding
 * @param maxPositions     rows of the absolute position embedding ({@code max_position_embeddings})
 * @param typeVocabSize    rows of the token-type (segment) embedding
 * @param hiddenSize       width of the residual stream
 * @param numLayers        number of blocks
 * @param numHeads         attention heads
 * @param intermediateSize MLP width
 * @param layerNormEps     LayerNorm epsilon
 * @param activation       MLP activation as Hugging Face names it: {@code gelu} (exact) or {@code gelu_new} /
 *                         {@code gelu_pytorch_tanh} (tanh approximation), {@code relu}
 * @param padTokenId       id of the padding token
 */
public record BertConfig(int vocabSize, int maxPositions, int typeVocabSize, int hiddenSize, int numLayers,
                         int numHeads, int intermediateSize, double layerNormEps, String activation, int padTokenId) {

    /** Activations the encoder runs. */
    public static final List<String> ACTIVATIONS = List.of("gelu", "gelu_new", "gelu_pytorch_tanh", "gelu_fast",
            "relu");

    /** Validates sizes and the activation. */
    public BertConfig {
        if (vocabSize <= 0 || maxPositions <= 0 || typeVocabSize <= 0 || hiddenSize <= 0 || numLayers <= 0
                || numHeads <= 0 || intermediateSize <= 0) {
            throw new ModelLoadException("BERT config has non-positive sizes: vocab=" + vocabSize + " positions="
                    + maxPositions + " types=" + typeVocabSize + " hidden=" + hiddenSize + " layers=" + numLayers
                    + " heads=" + numHeads + " intermediate=" + intermediateSize);
        }
        if (hiddenSize % numHeads != 0) {
            throw new ModelLoadException("hidden size " + hiddenSize + " is not divisible by " + numHeads + " heads");
        }
        if (!ACTIVATIONS.contains(activation)) {
            throw new ModelLoadException("unsupported activation " + ConfigValueText.of(activation) + "; supported: "
                    + ACTIVATIONS);
        }
    }

    /** Width of one head. */
    public int headDim() {
        return hiddenSize / numHeads;
    }

    /** Whether a {@code config.json} describes a BERT encoder ({@code model_type} {@code bert}). */
    public static boolean isBert(Path configJson) {
        try {
            JsonNode n = new ObjectMapper().readTree(Files.readString(configJson));
            return n != null && "bert".equals(n.path("model_type").asText(""));
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Reads {@code config.json}.
     *
     * @throws ModelLoadException naming the file and the field when it is not a BERT config or a field is wrong
     */
    public static BertConfig read(Path configJson) {
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
        if (!type.equals("bert")) {
            throw new ModelLoadException(configJson + ": model_type " + ConfigValueText.of(type)
                    + " is not an encoder this version runs"
                    + " (supported: bert)");
        }
        String position = n.path("position_embedding_type").asText("absolute");
        if (!position.equals("absolute")) {
            throw new ModelLoadException(configJson + ": position_embedding_type " + ConfigValueText.of(position)
                    + " is not supported (only absolute)");
        }
        return new BertConfig(required(n, "vocab_size", configJson), optionalInt(n, "max_position_embeddings", 512,
                configJson), optionalInt(n, "type_vocab_size", 2, configJson), required(n, "hidden_size", configJson),
                required(n, "num_hidden_layers", configJson), required(n, "num_attention_heads", configJson),
                required(n, "intermediate_size", configJson), optionalDouble(n, "layer_norm_eps", 1e-12, configJson),
                n.path("hidden_act").asText("gelu"), optionalInt(n, "pad_token_id", 0, configJson));
    }
}
