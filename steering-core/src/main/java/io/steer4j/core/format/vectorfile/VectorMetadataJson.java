package io.steer4j.core.format.vectorfile;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.steer4j.core.vector.VectorMetadata;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.Map;

/**
 * Converts {@link VectorMetadata} to and from the JSON stored under {@code "steer4j"} in a vector file.
 *
 * <p>Field names are fixed here rather than derived from the record so that renaming a Java component never
 * changes the file format: {@code format_version, model_id, hidden_size, hook_point, layer_numbering, method,
 * read_position, dataset_size, created_at} (ISO-8601 or null) and {@code notes} (object of strings). Missing
 * fields read as the builder's defaults, except {@code created_at}, which reads as unknown.
 */
final class VectorMetadataJson {
    static final int FORMAT_VERSION = 1;
    private static final ObjectMapper JSON = new ObjectMapper();

    private VectorMetadataJson() {
    }

    static String toJson(VectorMetadata m) {
        ObjectNode o = JSON.createObjectNode();
        o.put("format_version", FORMAT_VERSION);
        o.put("model_id", m.modelId());
        o.put("hidden_size", m.hiddenSize());
        o.put("hook_point", m.hookPoint());
        o.put("layer_numbering", m.layerNumbering());
        o.put("method", m.method());
        o.put("read_position", m.readPosition());
        o.put("dataset_size", m.datasetSize());
        if (m.createdAt() == null) {
            o.putNull("created_at");
        } else {
            o.put("created_at", m.createdAt().toString());
        }
        ObjectNode notes = o.putObject("notes");
        m.notes().forEach(notes::put);
        try {
            return JSON.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise metadata", e);
        }
    }

    /**
     * Parses metadata JSON.
     *
     * @throws IllegalArgumentException describing the bad field (the caller adds the file name)
     */
    static VectorMetadata fromJson(String json) {
        JsonNode o;
        try {
            o = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("steer4j metadata is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (o == null || !o.isObject()) {
            throw new IllegalArgumentException("steer4j metadata must be a JSON object");
        }
        int version = intField(o, "format_version", FORMAT_VERSION);
        if (version > FORMAT_VERSION) {
            throw new IllegalArgumentException("steer4j metadata format_version " + version
                    + " is newer than this library supports (" + FORMAT_VERSION + ")");
        }
        VectorMetadata.Builder b = VectorMetadata.builder()
                .hiddenSize(intField(o, "hidden_size", 0))
                .createdAt(null);
        stringField(o, "model_id", b::modelId);
        stringField(o, "hook_point", b::hookPoint);
        stringField(o, "layer_numbering", b::layerNumbering);
        stringField(o, "method", b::method);
        stringField(o, "read_position", b::readPosition);
        b.datasetSize(intField(o, "dataset_size", 0));
        JsonNode created = o.get("created_at");
        if (created != null && !created.isNull()) {
            if (!created.isTextual()) {
                throw new IllegalArgumentException("steer4j metadata created_at must be an ISO-8601 string");
            }
            try {
                b.createdAt(Instant.parse(created.textValue()));
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("steer4j metadata created_at '" + created.textValue()
                        + "' is not an ISO-8601 instant", e);
            }
        }
        JsonNode notes = o.get("notes");
        if (notes != null && !notes.isNull()) {
            if (!notes.isObject()) {
                throw new IllegalArgumentException("steer4j metadata notes must be an object of strings");
            }
            Iterator<Map.Entry<String, JsonNode>> it = notes.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getValue().isTextual()) {
                    throw new IllegalArgumentException("steer4j metadata note '" + e.getKey() + "' must be a string");
                }
                b.note(e.getKey(), e.getValue().textValue());
            }
        }
        return b.build();
    }

    private static int intField(JsonNode o, String name, int fallback) {
        JsonNode n = o.get(name);
        if (n == null || n.isNull()) {
            return fallback;
        }
        if (!n.canConvertToInt() || !n.isIntegralNumber()) {
            throw new IllegalArgumentException("steer4j metadata " + name + " must be an integer, got " + n);
        }
        return n.intValue();
    }

    private static void stringField(JsonNode o, String name, java.util.function.Consumer<String> setter) {
        JsonNode n = o.get(name);
        if (n == null || n.isNull()) {
            return;
        }
        if (!n.isTextual()) {
            throw new IllegalArgumentException("steer4j metadata " + name + " must be a string, got " + n);
        }
        setter.accept(n.textValue());
    }
}
