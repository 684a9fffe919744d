package io.steer4j.djl.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * How token hidden states become one sentence embedding: the pooling mode and whether the result is
 * L2-normalised, as a sentence-transformers folder declares them ({@code modules.json}, the Pooling module's
 * {@code config.json}, a {@code Normalize} module), plus the longest input it embeds ({@code max_seq_length} of
 * {@code sentence_bert_config.json}; longer texts are truncated, keeping {@code [SEP]}, as sentence-transformers
 * does).
 *
 * <pre>{@code
 * SentencePooling p = SentencePooling.read(folder);          // MEAN, normalised, 256 for all-MiniLM-L6-v2
 * SentencePooling cls = SentencePooling.of(Mode.CLS, false);  // a plain BERT's [CLS] vector
 * }</pre>
 *
 * @param mode         which tokens are combined, and how
 * @param normalize    whether the embedding is scaled to unit length
 * @param maxSeqLength longest token sequence embedded (special tokens included); longer inputs are truncated
 */
public record SentencePooling(Mode mode, boolean normalize, int maxSeqLength) {

    /** The pooling modes. */
    public enum Mode {
        /** Mean of the hidden states of every real token ({@code [CLS]} and {@code [SEP]} included). */
        MEAN,
        /** The first token's ({@code [CLS]}) hidden state. */
        CLS,
        /** Element-wise maximum over the real tokens. */
        MAX
    }

    /** Validates. */
    public SentencePooling {
        Objects.requireNonNull(mode, "mode");
        if (maxSeqLength < 2) {
            throw new IllegalArgumentException("max sequence length must be at least 2, got " + maxSeqLength);
        }
    }

    /** The given pooling with no truncation beyond the model's positions. */
    public static SentencePooling of(Mode mode, boolean normalize) {
        return new SentencePooling(mode, normalize, Integer.MAX_VALUE);
    }

    /**
     * The pooling a sentence-transformers folder declares, or {@code fallback} where it has no {@code modules.json}.
     *
     * @throws ModelLoadException naming the file when one of them is unreadable or asks for a pooling not supported
     */
    public static SentencePooling read(Path folder, SentencePooling fallback) {
        Path modules = folder.resolve("modules.json");
        if (!Files.isRegularFile(modules)) {
            return fallback;
        }
        JsonNode list = json(modules);
        if (!list.isArray()) {
            throw new ModelLoadException(modules + " is not a JSON array of modules");
        }
        Mode mode = null;
        boolean normalize = false;
        for (JsonNode module : list) {
            String type = module.path("type").asText("");
            String path = module.path("path").asText("");
            if (type.endsWith(".Pooling")) {
                mode = poolingMode(folder, path, modules);
            } else if (type.endsWith(".Normalize")) {
                normalize = true;
            }
        }
        if (mode == null) {
            throw new ModelLoadException(modules + " lists no Pooling module");
        }
        int max = Integer.MAX_VALUE;
        Path st = folder.resolve("sentence_bert_config.json");
        if (Files.isRegularFile(st)) {
            JsonNode n = json(st);
            max = ModelConfig.optionalInt(n, "max_seq_length", Integer.MAX_VALUE, st);
        }
        return new SentencePooling(mode, normalize, max);
    }

    private static Mode poolingMode(Path folder, String path, Path modules) {
        if (path.contains("..") || path.startsWith("/")) {
            throw new ModelLoadException(modules + " names module path '" + path + "' outside the model folder");
        }
        Path config = folder.resolve(path).resolve("config.json");
        if (!Files.isRegularFile(config)) {
            throw new ModelLoadException(modules + " lists a Pooling module at '" + path + "' but " + config
                    + " is missing");
        }
        JsonNode n = json(config);
        int count = 0;
        Mode mode = null;
        for (Mode candidate : Mode.values()) {
            String field = "pooling_mode_" + switch (candidate) {
                case MEAN -> "mean_tokens";
                case CLS -> "cls_token";
                case MAX -> "max_tokens";
            };
            if (n.path(field).asBoolean(false)) {
                mode = candidate;
                count++;
            }
        }
        for (String other : new String[] {"pooling_mode_mean_sqrt_len_tokens", "pooling_mode_weightedmean_tokens",
                "pooling_mode_lasttoken"}) {
            if (n.path(other).asBoolean(false)) {
                throw new ModelLoadException(config + ": " + other + " is not supported (mean, cls or max)");
            }
        }
        if (count != 1) {
            throw new ModelLoadException(config + ": expected exactly one of pooling_mode_mean_tokens, "
                    + "pooling_mode_cls_token, pooling_mode_max_tokens to be true, found " + count);
        }
        return mode;
    }

    private static JsonNode json(Path file) {
        try {
            return new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new ModelLoadException(file + " is not valid JSON: " + e.getMessage(), e);
        }
    }
}
