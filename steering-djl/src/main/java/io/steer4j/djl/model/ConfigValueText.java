package io.steer4j.djl.model;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Locale;
import java.util.Set;

/**
 * How a value read from a model folder's {@code config.json} may appear in an error message: by name only when it
 * is one of the values published models use (so a user sees "unsupported activation 'quick_gelu'"), otherwise by
 * its kind and length. An error message never quotes what a file holds: a crafted config.json may be a copy of a
 * secret (the model-file fuzz test plants one in every field).
 */
final class ConfigValueText {
    /** Activations, rope scalings and position embeddings that published configs name. */
    private static final Set<String> PUBLISHED = Set.of("gelu", "gelu_new", "gelu_pytorch_tanh", "gelu_fast",
            "gelu_python", "quick_gelu", "gelu_10", "relu", "relu2", "relu6", "silu", "swish", "tanh", "sigmoid",
            "mish", "linear", "leaky_relu", "default", "dynamic", "yarn", "longrope", "llama3", "su", "mrope",
            "absolute", "relative_key", "relative_key_query", "rotary", "alibi");

    private ConfigValueText() {
    }

    /** {@code 'value'} for a published value, else a description such as "a value of 17 characters". */
    static String of(String value) {
        if (value == null || value.isEmpty()) {
            return "(empty)";
        }
        return PUBLISHED.contains(value) ? "'" + value + "'"
                : "(a value of " + value.length() + " characters that no published config uses)";
    }

    /** The JSON kind of a node, never its content: "a string", "an array", "an object", ... */
    static String kind(JsonNode v) {
        String k = v.getNodeType().name().toLowerCase(Locale.ROOT);
        return (k.startsWith("a") || k.startsWith("o") ? "an " : "a ") + k;
    }
}
