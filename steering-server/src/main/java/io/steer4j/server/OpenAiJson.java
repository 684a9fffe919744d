package io.steer4j.server;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The JSON bodies of OpenAI's API that the server writes: completions, chat completions, their streamed chunks,
 * usage and errors, with the fields the official clients require (nullable ones written as {@code null}).
 */
final class OpenAiJson {
    /** Reads {@code NaN} and {@code Infinity} (Python's json writes them), so they get a precise error. */
    static final ObjectMapper MAPPER = JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

    private OpenAiJson() {
    }

    static ObjectNode error(OpenAiException e) {
        ObjectNode root = MAPPER.createObjectNode();
        ObjectNode err = root.putObject("error");
        err.put("message", e.getMessage());
        err.put("type", e.type());
        err.put("param", e.param());
        err.put("code", e.code());
        return root;
    }

    static ObjectNode usage(int promptTokens, int completionTokens) {
        ObjectNode u = MAPPER.createObjectNode();
        u.put("prompt_tokens", promptTokens);
        u.put("completion_tokens", completionTokens);
        u.put("total_tokens", promptTokens + completionTokens);
        return u;
    }

    private static ObjectNode envelope(String id, String object, long created, String model) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("id", id);
        root.put("object", object);
        root.put("created", created);
        root.put("model", model);
        root.put("system_fingerprint", "steer4j");
        return root;
    }

    /** A whole completion ({@code object} {@code chat.completion} or {@code text_completion}). */
    static ObjectNode completion(boolean chat, String id, long created, String model, String text,
                                 String finishReason, int promptTokens, int completionTokens) {
        ObjectNode root = envelope(id, chat ? "chat.completion" : "text_completion", created, model);
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        if (chat) {
            ObjectNode m = choice.putObject("message");
            m.put("role", "assistant");
            m.put("content", text);
            m.putNull("refusal");
        } else {
            choice.put("text", text);
        }
        choice.putNull("logprobs");
        choice.put("finish_reason", finishReason);
        root.set("usage", usage(promptTokens, completionTokens));
        return root;
    }

    /**
     * One streamed chunk; {@code text} null writes an empty delta (the last chunk, with the finish reason), and a
     * chat's first chunk carries the role.
     */
    static ObjectNode chunk(boolean chat, String id, long created, String model, String text, boolean first,
                            String finishReason, boolean includeUsage) {
        ObjectNode root = envelope(id, chat ? "chat.completion.chunk" : "text_completion", created, model);
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        if (chat) {
            ObjectNode d = choice.putObject("delta");
            if (first) {
                d.put("role", "assistant");
            }
            if (text != null) {
                d.put("content", text);
            }
        } else {
            choice.put("text", text == null ? "" : text);
        }
        choice.putNull("logprobs");
        choice.put("finish_reason", finishReason);
        if (includeUsage) {
            root.putNull("usage");
        }
        return root;
    }

    /** The last chunk of {@code stream_options.include_usage}: no choices, the usage. */
    static ObjectNode usageChunk(boolean chat, String id, long created, String model, int promptTokens,
                                 int completionTokens) {
        ObjectNode root = envelope(id, chat ? "chat.completion.chunk" : "text_completion", created, model);
        root.putArray("choices");
        root.set("usage", usage(promptTokens, completionTokens));
        return root;
    }

    static ObjectNode models(String baseId, Iterable<String> ids, long created) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("object", "list");
        ArrayNode data = root.putArray("data");
        for (String id : ids) {
            ObjectNode m = data.addObject();
            m.put("id", id);
            m.put("object", "model");
            m.put("created", created);
            m.put("owned_by", "steer4j");
            m.put("root", baseId);
        }
        return root;
    }
}
