package io.steer4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.core.plan.TokenScope;
import io.steer4j.core.vector.SteeringVector;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns a request's choice of steering into a {@link SteeringPlan}, from either or both of:
 * <ul>
 *   <li>a model id naming a preset, {@code BASE+NAME@STRENGTH[+NAME@STRENGTH...]} (e.g. {@code stories260k+happy@2};
 *       {@code @STRENGTH} may be left out for 1), so an unmodified client picks a steered variant by model name;
 *       every layer of each vector is steered, on every token;</li>
 *   <li>the extension field {@code "steering": {"vectors": [{"name": "happy", "strength": 2.0, "layers": [3]}],
 *       "scope": "generated"}}, where {@code layers} (default: every layer of the vector) and {@code scope}
 *       ({@code all} (default), {@code prompt}, {@code generated}, {@code from:N}, {@code ranges:A-B,...}) are
 *       optional.</li>
 * </ul>
 * Both add up when both are given.
 */
final class SteeringSelection {
    private final String baseId;
    private final VectorLibrary vectors;
    private final int numLayers;

    SteeringSelection(String baseId, VectorLibrary vectors, int numLayers) {
        this.baseId = baseId;
        this.vectors = vectors;
        this.numLayers = numLayers;
    }

    /** The plan a model id asks for; 404 {@code model_not_found} for another base or an unknown vector. */
    SteeringPlan fromModelId(String model) {
        if (model == null || model.isEmpty()) {
            throw OpenAiException.invalid("model", "you must provide a model parameter");
        }
        if (model.equals(baseId)) {
            return SteeringPlan.NONE;
        }
        if (!model.startsWith(baseId + "+")) {
            throw notFound(model, "this server serves '" + baseId + "' and its presets '" + baseId
                    + "+VECTOR@STRENGTH'");
        }
        SteeringPlan plan = SteeringPlan.NONE;
        for (String part : model.substring(baseId.length() + 1).split("\\+", -1)) {
            int at = part.lastIndexOf('@');
            String name = at < 0 ? part : part.substring(0, at);
            double strength = 1.0;
            if (at >= 0) {
                try {
                    strength = Double.parseDouble(part.substring(at + 1));
                } catch (NumberFormatException e) {
                    throw notFound(model, "'" + part.substring(at + 1) + "' is not a strength");
                }
                if (!Double.isFinite(strength)) {
                    throw notFound(model, "a strength must be a finite number");
                }
            }
            SteeringVector v = vectors.get(name).orElseThrow(() -> notFound(model, "no vector named '" + name
                    + "' (GET /v1/models lists them)"));
            plan = plan.and(SteeringPlan.of(v, strength));
        }
        return plan;
    }

    /** The plan of a request's {@code steering} field (null or absent: none); 400 naming the field at fault. */
    SteeringPlan fromField(JsonNode steering) {
        if (steering == null || steering.isNull()) {
            return SteeringPlan.NONE;
        }
        if (!steering.isObject()) {
            throw OpenAiException.invalid("steering", "steering must be an object with a 'vectors' list");
        }
        TokenScope scope = TokenScope.all();
        JsonNode s = steering.get("scope");
        if (s != null && !s.isNull()) {
            if (!s.isTextual()) {
                throw OpenAiException.invalid("steering.scope", "steering.scope must be a string");
            }
            try {
                scope = TokenScope.parse(s.asText());
            } catch (IllegalArgumentException e) {
                throw OpenAiException.invalid("steering.scope", "steering.scope: " + e.getMessage());
            }
        }
        JsonNode list = steering.get("vectors");
        if (list == null || !list.isArray()) {
            throw OpenAiException.invalid("steering.vectors", "steering.vectors must be a list of "
                    + "{\"name\", \"strength\", \"layers\"}");
        }
        SteeringPlan plan = SteeringPlan.NONE;
        for (int i = 0; i < list.size(); i++) {
            plan = plan.and(vector(list.get(i), "steering.vectors[" + i + "]").withScope(scope));
        }
        return plan;
    }

    private SteeringPlan vector(JsonNode item, String at) {
        if (!item.isObject()) {
            throw OpenAiException.invalid(at, at + " must be an object");
        }
        JsonNode n = item.get("name");
        if (n == null || !n.isTextual()) {
            throw OpenAiException.invalid(at + ".name", at + ".name must be a string");
        }
        String name = n.asText();
        SteeringVector v = vectors.get(name).orElseThrow(() -> OpenAiException.invalid(at + ".name",
                "no vector named '" + name + "' (GET /v1/models lists them)"));
        JsonNode st = item.get("strength");
        double strength = 1.0;
        if (st != null && !st.isNull()) {
            if (!st.isNumber()) {
                throw OpenAiException.invalid(at + ".strength", at + ".strength must be a number");
            }
            strength = st.asDouble();
            if (!Double.isFinite(strength)) {
                throw OpenAiException.invalid(at + ".strength", at + ".strength must be a finite number, got "
                        + strength);
            }
        }
        JsonNode ls = item.get("layers");
        if (ls == null || ls.isNull()) {
            return SteeringPlan.of(v, strength);
        }
        if (!ls.isArray() || ls.isEmpty()) {
            throw OpenAiException.invalid(at + ".layers", at + ".layers must be a non-empty list of layer indices");
        }
        List<Integer> layers = new ArrayList<>();
        for (JsonNode l : ls) {
            if (!l.isIntegralNumber() || l.asLong() < 0 || l.asLong() >= numLayers) {
                throw OpenAiException.invalid(at + ".layers", at + ".layers: " + l + " is not a layer of the model "
                        + "(0.." + (numLayers - 1) + ")");
            }
            if (!v.hasLayer(l.asInt())) {
                throw OpenAiException.invalid(at + ".layers", "vector '" + name + "' has no direction for layer "
                        + l.asInt() + "; it has " + v.layers());
            }
            layers.add(l.asInt());
        }
        return SteeringPlan.atLayers(v, strength, layers.stream().mapToInt(Integer::intValue).toArray());
    }

    private static OpenAiException notFound(String model, String why) {
        return new OpenAiException(404, "invalid_request_error", "model", "model_not_found",
                "The model '" + model + "' does not exist: " + why);
    }
}
