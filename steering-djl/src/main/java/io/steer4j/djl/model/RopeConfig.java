package io.steer4j.djl.model;

import com.fasterxml.jackson.databind.JsonNode;
import io.steer4j.djl.engine.RotaryAngles;

import java.nio.file.Path;
import java.util.List;

/**
 * Rotary position embedding (RoPE) of a model, as Hugging Face's {@code rope_theta} / {@code rope_scaling} describe
 * it, in the "rotate half" convention of {@code LlamaModel} and {@code GPTNeoXModel}: within the first {@code dims}
 * channels of every head, channel {@code i} is paired with channel {@code i + dims/2}.
 *
 * @param dims                 rotated channels per head (the head size for Llama; {@code rotary_pct} of it for
 *                             GPT-NeoX); even
 * @param theta                base of the frequencies ({@code rope_theta}, {@code rotary_emb_base})
 * @param scaling              {@code "default"} (none), {@code "linear"} or {@code "llama3"}
 * @param factor               scaling factor (1 for {@code default})
 * @param lowFreqFactor        {@code llama3}: {@code low_freq_factor}
 * @param highFreqFactor       {@code llama3}: {@code high_freq_factor}
 * @param originalMaxPositions {@code llama3}: {@code original_max_position_embeddings}
 */
public record RopeConfig(int dims, double theta, String scaling, double factor, double lowFreqFactor,
                         double highFreqFactor, int originalMaxPositions) {

    /** {@code rope_scaling} types this version computes exactly; others are refused at load. */
    public static final List<String> SUPPORTED_SCALING = List.of("default", "linear", "llama3");

    /** Validates the fields. */
    public RopeConfig {
        if (dims <= 0 || dims % 2 != 0) {
            throw new ModelLoadException("rotary dimensions must be positive and even, got " + dims);
        }
        if (!(theta > 0)) {
            throw new ModelLoadException("rope_theta must be positive, got " + theta);
        }
        if (!SUPPORTED_SCALING.contains(scaling)) {
            throw new ModelLoadException("unsupported rope_scaling type " + ConfigValueText.of(scaling) + "; supported: "
                    + SUPPORTED_SCALING + " (dynamic, yarn, longrope and others change the frequencies in ways this "
                    + "version does not compute)");
        }
        if (!(factor > 0)) {
            throw new ModelLoadException("rope_scaling factor must be positive, got " + factor);
        }
        if (scaling.equals("llama3") && (!(lowFreqFactor > 0) || !(highFreqFactor > lowFreqFactor)
                || originalMaxPositions <= 0)) {
            throw new ModelLoadException("llama3 rope_scaling needs low_freq_factor > 0, high_freq_factor > "
                    + "low_freq_factor and original_max_position_embeddings > 0; got " + lowFreqFactor + ", "
                    + highFreqFactor + ", " + originalMaxPositions);
        }
    }

    /** Unscaled RoPE over {@code dims} channels. */
    public static RopeConfig plain(int dims, double theta) {
        return new RopeConfig(dims, theta, "default", 1, 0, 0, 0);
    }

    /**
     * Reads a {@code rope_scaling} object (null or JSON null: no scaling). The type is {@code rope_type}, or the
     * legacy {@code type} key.
     */
    static RopeConfig read(JsonNode scaling, int dims, double theta, Path file) {
        if (scaling == null || scaling.isNull() || scaling.isMissingNode()) {
            return plain(dims, theta);
        }
        if (!scaling.isObject()) {
            throw new ModelLoadException(file + ": rope_scaling is not an object but "
                    + ConfigValueText.kind(scaling));
        }
        String type = scaling.has("rope_type") ? scaling.get("rope_type").asText() : scaling.path("type").asText("");
        if (type.isEmpty()) {
            throw new ModelLoadException(file + ": rope_scaling has no rope_type (nor type)");
        }
        try {
            return switch (type) {
                case "default" -> plain(dims, theta);
                case "linear" -> new RopeConfig(dims, theta, type, number(scaling, "factor", file), 0, 0, 0);
                case "llama3" -> new RopeConfig(dims, theta, type, number(scaling, "factor", file),
                        number(scaling, "low_freq_factor", file), number(scaling, "high_freq_factor", file),
                        (int) number(scaling, "original_max_position_embeddings", file));
                default -> new RopeConfig(dims, theta, type, 1, 0, 0, 0); // the constructor refuses it
            };
        } catch (ModelLoadException e) {
            throw new ModelLoadException(file + ": " + e.getMessage(), e);
        }
    }

    private static double number(JsonNode n, String field, Path file) {
        JsonNode v = n.get(field);
        if (v == null || !v.isNumber()) {
            throw new ModelLoadException("rope_scaling field '" + field + "' is missing or not a number");
        }
        return v.asDouble();
    }

    /** The rotation the engines apply for this config: {@link #inverseFrequencies} over {@link #dims} channels. */
    RotaryAngles angles() {
        return new RotaryAngles(inverseFrequencies(), dims);
    }

    /**
     * The {@code dims / 2} inverse frequencies, computed in float32 step by step as Hugging Face computes them
     * ({@code _compute_default_rope_parameters}, {@code _compute_linear_scaling_rope_parameters},
     * {@code _compute_llama3_parameters}), so the angles round the same way transformers' do.
     */
    public float[] inverseFrequencies() {
        int half = dims / 2;
        float[] inv = new float[half];
        for (int i = 0; i < half; i++) {
            float exponent = (float) (2 * i) / (float) dims;
            inv[i] = (float) (1.0 / (float) Math.pow(theta, exponent));
        }
        switch (scaling) {
            case "linear" -> {
                for (int i = 0; i < half; i++) {
                    inv[i] = (float) (inv[i] / factor);
                }
            }
            case "llama3" -> {
                // Long wavelengths (low frequencies) are slowed by `factor`, short ones kept, and the band in
                // between interpolated smoothly.
                double lowWavelen = originalMaxPositions / lowFreqFactor;
                double highWavelen = originalMaxPositions / highFreqFactor;
                for (int i = 0; i < half; i++) {
                    double wavelen = 2 * Math.PI / inv[i];
                    if (wavelen > lowWavelen) {
                        inv[i] = (float) (inv[i] / factor);
                    } else if (wavelen >= highWavelen) {
                        double smooth = (originalMaxPositions / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                        inv[i] = (float) ((1 - smooth) * inv[i] / factor + smooth * inv[i]);
                    }
                }
            }
            default -> {
                // "default": unscaled
            }
        }
        return inv;
    }
}
