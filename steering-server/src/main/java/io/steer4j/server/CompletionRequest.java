package io.steer4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.steer4j.core.chat.ChatMessage;
import io.steer4j.core.plan.SteeringPlan;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One {@code /v1/completions} or {@code /v1/chat/completions} request, its OpenAI fields read as OpenAI defines
 * them: {@code temperature} (default 1, 0 = greedy), {@code top_p} (default 1), {@code seed} (default random),
 * {@code max_tokens} / {@code max_completion_tokens} (default: the rest of the context), {@code stop} (up to 4
 * strings), {@code n} (1 only), {@code stream}, {@code stream_options.include_usage}; plus the steering.
 *
 * @param chat         whether it is a chat completion
 * @param model        the model id as sent (echoed in the response)
 * @param prompt       the prompt text (completions), else null
 * @param messages     the conversation (chat), else null
 * @param maxTokens    the most tokens to generate, or null for the rest of the context
 * @param temperature  sampling temperature, 0 for greedy decoding
 * @param topP         nucleus mass
 * @param seed         sampling seed
 * @param stops        stop sequences
 * @param stream       whether to answer with server-sent events
 * @param includeUsage whether a streamed answer ends with a usage chunk
 * @param plan         the steering
 */
record CompletionRequest(boolean chat, String model, String prompt, List<ChatMessage> messages, Integer maxTokens,
                         double temperature, double topP, long seed, List<String> stops, boolean stream,
                         boolean includeUsage, SteeringPlan plan) {

    /** Fields that change results in ways this server does not implement: refused rather than ignored. */
    private static final List<String> UNSUPPORTED = List.of("logprobs", "top_logprobs", "echo", "best_of", "tools",
            "functions", "tool_choice", "function_call", "logit_bias", "suffix", "audio", "prediction");
    private static final Set<String> ROLES = Set.of(ChatMessage.SYSTEM, ChatMessage.USER, ChatMessage.ASSISTANT);

    /** Reads a request body; 400 naming the field at fault. */
    static CompletionRequest parse(JsonNode body, boolean chat, SteeringSelection steering) {
        if (!body.isObject()) {
            throw OpenAiException.invalid(null, "the request body must be a JSON object");
        }
        for (String f : UNSUPPORTED) {
            JsonNode v = body.get(f);
            boolean off = v == null || v.isNull() || (v.isBoolean() && !v.asBoolean())
                    || (v.isContainerNode() && v.isEmpty()) || (f.equals("logprobs") && v.isNumber() && v.asInt() == 0)
                    || (f.equals("best_of") && v.isNumber() && v.asInt() == 1)
                    || (f.equals("tool_choice") && v.asText().equals("none"));
            if (!off) {
                throw OpenAiException.invalid(f, f + " is not supported by this server");
            }
        }
        JsonNode format = body.get("response_format");
        if (format != null && !format.isNull() && !format.path("type").asText().equals("text")) {
            throw OpenAiException.invalid("response_format", "response_format must be {\"type\": \"text\"}: "
                    + "structured output is not supported by this server");
        }
        for (String f : List.of("frequency_penalty", "presence_penalty")) {
            JsonNode v = body.get(f);
            if (v != null && !v.isNull() && (!v.isNumber() || v.asDouble() != 0)) {
                throw OpenAiException.invalid(f, f + " is not supported by this server (only 0)");
            }
        }
        JsonNode modelNode = body.get("model");
        String model = modelNode == null || !modelNode.isTextual() ? null : modelNode.asText();
        SteeringPlan plan = steering.fromModelId(model).and(steering.fromField(body.get("steering")));

        String prompt = null;
        List<ChatMessage> messages = null;
        if (chat) {
            messages = messages(body.get("messages"));
        } else {
            prompt = prompt(body.get("prompt"));
        }
        Integer maxTokens = optionalInt(body, chat ? "max_completion_tokens" : "max_tokens", 1);
        if (maxTokens == null && chat) {
            maxTokens = optionalInt(body, "max_tokens", 1);
        }
        Integer n = optionalInt(body, "n", 1);
        if (n != null && n != 1) {
            throw OpenAiException.invalid("n", "n must be 1: this server returns one choice per request");
        }
        double temperature = optionalNumber(body, "temperature", 1.0);
        if (temperature < 0 || temperature > 2) {
            throw OpenAiException.invalid("temperature", "temperature must be between 0 and 2, got " + temperature);
        }
        double topP = optionalNumber(body, "top_p", 1.0);
        if (!(topP > 0 && topP <= 1)) {
            throw OpenAiException.invalid("top_p", "top_p must be in (0, 1], got " + topP);
        }
        JsonNode seedNode = body.get("seed");
        long seed;
        if (seedNode == null || seedNode.isNull()) {
            seed = ThreadLocalRandom.current().nextLong();
        } else if (seedNode.isIntegralNumber() && seedNode.canConvertToLong()) {
            seed = seedNode.asLong();
        } else {
            throw OpenAiException.invalid("seed", "seed must be an integer");
        }
        List<String> stops = stops(body.get("stop"));
        boolean stream = optionalBoolean(body, "stream");
        boolean includeUsage = false;
        JsonNode so = body.get("stream_options");
        if (so != null && !so.isNull()) {
            if (!stream) {
                throw OpenAiException.invalid("stream_options", "stream_options is only allowed when stream is true");
            }
            if (!so.isObject()) {
                throw OpenAiException.invalid("stream_options", "stream_options must be an object");
            }
            includeUsage = optionalBoolean(so, "include_usage");
        }
        return new CompletionRequest(chat, model, prompt, messages, maxTokens, temperature, topP, seed, stops, stream,
                includeUsage, plan);
    }

    private static String prompt(JsonNode p) {
        if (p != null && p.isTextual()) {
            return p.asText();
        }
        if (p != null && p.isArray() && p.size() == 1 && p.get(0).isTextual()) {
            return p.get(0).asText();
        }
        throw OpenAiException.invalid("prompt", "prompt must be a string (or a list of one string)");
    }

    private static List<ChatMessage> messages(JsonNode list) {
        if (list == null || !list.isArray() || list.isEmpty()) {
            throw OpenAiException.invalid("messages", "messages must be a non-empty list");
        }
        List<ChatMessage> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            String at = "messages[" + i + "]";
            JsonNode m = list.get(i);
            if (!m.isObject() || !m.path("role").isTextual()) {
                throw OpenAiException.invalid(at, at + " must be an object with a role and a content");
            }
            String role = m.get("role").asText();
            if (role.equals("developer")) {
                role = ChatMessage.SYSTEM; // OpenAI's newer name for system instructions
            }
            if (!ROLES.contains(role)) {
                throw OpenAiException.invalid(at + ".role", at + ".role '" + role + "' is not supported (system, "
                        + "developer, user, assistant)");
            }
            out.add(new ChatMessage(role, content(m.get("content"), at + ".content")));
        }
        return out;
    }

    /** A message's content: a string, or a list of text parts joined (OpenAI's content-part form). */
    private static String content(JsonNode c, String at) {
        if (c != null && c.isTextual()) {
            return c.asText();
        }
        if (c != null && c.isArray()) {
            StringBuilder sb = new StringBuilder();
            for (JsonNode part : c) {
                if (!part.path("type").asText().equals("text") || !part.path("text").isTextual()) {
                    throw OpenAiException.invalid(at, at + ": only text parts are supported");
                }
                sb.append(part.get("text").asText());
            }
            return sb.toString();
        }
        throw OpenAiException.invalid(at, at + " must be a string or a list of text parts");
    }

    private static List<String> stops(JsonNode s) {
        List<String> out = new ArrayList<>();
        if (s == null || s.isNull()) {
            return out;
        }
        if (s.isTextual()) {
            out.add(s.asText());
        } else if (s.isArray()) {
            for (JsonNode e : s) {
                if (!e.isTextual()) {
                    throw OpenAiException.invalid("stop", "stop must be a string or a list of strings");
                }
                out.add(e.asText());
            }
        } else {
            throw OpenAiException.invalid("stop", "stop must be a string or a list of strings");
        }
        if (out.size() > 4) {
            throw OpenAiException.invalid("stop", "at most 4 stop sequences, got " + out.size());
        }
        if (out.stream().anyMatch(String::isEmpty)) {
            throw OpenAiException.invalid("stop", "a stop sequence must not be empty");
        }
        return out;
    }

    private static Integer optionalInt(JsonNode body, String field, int min) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isIntegralNumber()) {
            throw OpenAiException.invalid(field, field + " must be an integer");
        }
        if (!v.canConvertToInt()) { // a huge count: the context check then says how much room there is
            if (v.bigIntegerValue().signum() > 0) {
                return Integer.MAX_VALUE;
            }
            throw OpenAiException.invalid(field, field + " must be at least " + min);
        }
        if (v.asInt() < min) {
            throw OpenAiException.invalid(field, field + " must be at least " + min + ", got " + v.asInt());
        }
        return v.asInt();
    }

    private static double optionalNumber(JsonNode body, String field, double dflt) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isNumber() || !Double.isFinite(v.asDouble())) {
            throw OpenAiException.invalid(field, field + " must be a finite number");
        }
        return v.asDouble();
    }

    private static boolean optionalBoolean(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return false;
        }
        if (!v.isBoolean()) {
            throw OpenAiException.invalid(field, field + " must be true or false");
        }
        return v.asBoolean();
    }
}
