package io.steer4j.core.vector;

import io.steer4j.core.plan.HookPoint;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What a {@link SteeringVector} is for and how it was made: the model, hidden size, where it is applied, which
 * layer convention its indices follow, and how it was computed. Stored with the vector in files.
 *
 * <pre>{@code
 * VectorMetadata meta = VectorMetadata.builder()
 *     .modelId("openai-community/gpt2")
 *     .hiddenSize(768)
 *     .hookPoint(HookPoint.RESID_POST)
 *     .method("pca_diff")
 *     .readPosition("last_token")
 *     .datasetSize(128)
 *     .note("dataset", "happy-sad")
 *     .build();
 * }</pre>
 *
 * @param modelId        the model the vector was computed on, e.g. a Hugging Face id; empty when unknown
 * @param hiddenSize     length of every direction; must be positive
 * @param hookPoint      where the vector is read and applied, a {@link HookPoint#id()} such as {@code "resid_post"};
 *                       kept as a string so files naming hook points this version does not know still load
 * @param layerNumbering what a layer index means; {@link #STEER4J_LAYER_NUMBERING} unless imported from elsewhere
 * @param method         how the directions were computed, e.g. a {@link VectorMethod#id()}; empty when unknown
 * @param readPosition   which token positions activations were read at, e.g. {@code "last_token"}; empty when unknown
 * @param datasetSize    number of contrastive pairs used; 0 when unknown
 * @param createdAt      creation time; {@code null} when unknown (e.g. read from a GGUF file)
 * @param notes          free-form string annotations; copied, unmodifiable, sorted by key
 */
public record VectorMetadata(String modelId, int hiddenSize, String hookPoint, String layerNumbering, String method,
                             String readPosition, int datasetSize, Instant createdAt, Map<String, String> notes) {

    /** The project's convention: layer {@code L} is the residual stream leaving 0-based block {@code L}. */
    public static final String STEER4J_LAYER_NUMBERING = "steer4j: layer L = output of 0-based block L";

    /** Validates and copies. */
    public VectorMetadata {
        Objects.requireNonNull(modelId, "modelId (use \"\" when unknown)");
        if (hiddenSize <= 0) {
            throw new IllegalArgumentException("hiddenSize must be positive, got " + hiddenSize);
        }
        requireNonBlank(hookPoint, "hookPoint");
        requireNonBlank(layerNumbering, "layerNumbering");
        Objects.requireNonNull(method, "method (use \"\" when unknown)");
        Objects.requireNonNull(readPosition, "readPosition (use \"\" when unknown)");
        if (datasetSize < 0) {
            throw new IllegalArgumentException("datasetSize must be >= 0, got " + datasetSize);
        }
        Objects.requireNonNull(notes, "notes");
        TreeMap<String, String> copy = new TreeMap<>();
        notes.forEach((k, v) -> copy.put(Objects.requireNonNull(k, "note key"),
                Objects.requireNonNull(v, () -> "note value for key '" + k + "'")));
        notes = Collections.unmodifiableSortedMap(copy);
    }

    private static void requireNonBlank(String value, String name) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(name + " must not be null or blank");
        }
    }

    /** A builder with defaults: hook point {@code resid_post}, steer4j layer numbering, created now. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder pre-filled with this metadata, for deriving a changed copy. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.modelId = modelId;
        b.hiddenSize = hiddenSize;
        b.hookPoint = hookPoint;
        b.layerNumbering = layerNumbering;
        b.method = method;
        b.readPosition = readPosition;
        b.datasetSize = datasetSize;
        b.createdAt = createdAt;
        b.notes.putAll(notes);
        return b;
    }

    /** Builds {@link VectorMetadata}; only {@link #hiddenSize(int)} is required. */
    public static final class Builder {
        private String modelId = "";
        private int hiddenSize;
        private String hookPoint = HookPoint.RESID_POST.id();
        private String layerNumbering = STEER4J_LAYER_NUMBERING;
        private String method = "";
        private String readPosition = "";
        private int datasetSize;
        // Millisecond precision: what survives a round trip through ISO-8601 text in files unchanged.
        private Instant createdAt = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        private final Map<String, String> notes = new TreeMap<>();

        private Builder() {
        }

        /** The model id, e.g. {@code "openai-community/gpt2"}. */
        public Builder modelId(String modelId) {
            this.modelId = modelId;
            return this;
        }

        /** Length of every direction. Required. */
        public Builder hiddenSize(int hiddenSize) {
            this.hiddenSize = hiddenSize;
            return this;
        }

        /** Where the vector is applied. */
        public Builder hookPoint(HookPoint hookPoint) {
            this.hookPoint = hookPoint.id();
            return this;
        }

        /** Where the vector is applied, as an id string. */
        public Builder hookPoint(String hookPoint) {
            this.hookPoint = hookPoint;
            return this;
        }

        /** The layer-index convention; only change it for vectors imported from a differently-numbered source. */
        public Builder layerNumbering(String layerNumbering) {
            this.layerNumbering = layerNumbering;
            return this;
        }

        /** How the directions were computed. */
        public Builder method(String method) {
            this.method = method;
            return this;
        }

        /** Which token positions activations were read at. */
        public Builder readPosition(String readPosition) {
            this.readPosition = readPosition;
            return this;
        }

        /** Number of contrastive pairs used. */
        public Builder datasetSize(int datasetSize) {
            this.datasetSize = datasetSize;
            return this;
        }

        /** Creation time, or {@code null} for unknown. */
        public Builder createdAt(Instant createdAt) {
            this.createdAt = createdAt;
            return this;
        }

        /** Adds or replaces one note. */
        public Builder note(String key, String value) {
            notes.put(key, value);
            return this;
        }

        /** Replaces all notes. */
        public Builder notes(Map<String, String> notes) {
            this.notes.clear();
            this.notes.putAll(notes);
            return this;
        }

        /** Validates and builds. */
        public VectorMetadata build() {
            return new VectorMetadata(modelId, hiddenSize, hookPoint, layerNumbering, method, readPosition,
                    datasetSize, createdAt, notes);
        }
    }
}
