package io.steer4j.core.format.svec;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.steer4j.core.format.VectorFileFormatException;
import io.steer4j.core.format.VectorImportOptions;
import io.steer4j.core.format.safetensors.SafetensorsWriter;
import io.steer4j.core.plan.HookPoint;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.core.vector.VectorMetadata;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * IBM activation-steering's {@code .svec} files, read and written: the JSON its {@code SteeringVector.save}
 * writes, {@code {"model_type": str, "directions": {"L": [floats]}, "explained_variances": {"L": float}}}.
 *
 * <p><b>Layer convention.</b> activation-steering wraps each decoder block in a {@code LeashLayer} that adds
 * direction {@code L} to the hidden states <em>entering</em> block {@code L} (it modifies {@code hidden_states}
 * before calling the wrapped layer), so its layer {@code L} is steer4j's {@code resid_pre(L)}, which equals
 * {@code resid_post(L - 1)}. Reading translates to {@code resid_post(L - 1)} when the file has no layer 0, and
 * otherwise keeps {@code resid_pre(L)}; writing does the reverse ({@code resid_post(L)} becomes {@code L + 1},
 * {@code resid_pre(L)} stays {@code L}). The model type becomes the model id; explained variances are kept in the
 * note {@code explained_variances} (JSON keyed by the file's layer ids) and written back for the same layers.
 *
 * <pre>{@code
 * SteeringVector refusal = SvecFile.read(Path.of("refusal_behavior_vector.svec"));
 * SvecFile.write(refusal, Path.of("copy.svec"));
 * }</pre>
 */
public final class SvecFile {
    /** The {@code source_format} note of vectors read from {@code .svec} files. */
    public static final String SOURCE_FORMAT = "activation-steering .svec";
    static final String CONVENTION = "activation-steering: direction L added to the input of block L"
            + " (steer4j resid_pre(L) = resid_post(L-1))";
    private static final ObjectMapper JSON = new ObjectMapper();

    private SvecFile() {
    }

    /** Reads with {@link VectorImportOptions#defaults()}. */
    public static SteeringVector read(Path file) throws IOException {
        return read(file, VectorImportOptions.defaults());
    }

    /**
     * Reads a {@code .svec} file; a model layer count in {@code options} maps negative layer ids.
     *
     * @throws VectorFileFormatException if it is not JSON of the shape above, a direction is empty, ragged or not
     *                                   finite, or a layer id is not an integer
     * @throws IOException               if it cannot be read
     */
    public static SteeringVector read(Path file, VectorImportOptions options) throws IOException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(options, "options");
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw new VectorFileFormatException(file, "not valid JSON" + (e.getLocation() == null ? ""
                    : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr()), e);
        }
        if (root == null || !root.isObject() || !root.path("directions").isObject()) {
            throw new VectorFileFormatException(file, "not an activation-steering vector: expected a JSON object"
                    + " with a \"directions\" object");
        }
        TreeMap<Integer, float[]> byId = new TreeMap<>();
        int hidden = -1;
        for (Iterator<Map.Entry<String, JsonNode>> it = root.get("directions").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            int id = layerId(file, e.getKey(), options);
            JsonNode arr = e.getValue();
            if (!arr.isArray() || arr.isEmpty()) {
                throw new VectorFileFormatException(file, "direction for layer " + id + " is not a non-empty list");
            }
            if (hidden >= 0 && arr.size() != hidden) {
                throw new VectorFileFormatException(file, "direction for layer " + id + " has " + arr.size()
                        + " values but others have " + hidden);
            }
            hidden = arr.size();
            float[] d = new float[hidden];
            for (int i = 0; i < hidden; i++) {
                JsonNode v = arr.get(i);
                if (!v.isNumber() || !Float.isFinite(v.floatValue())) {
                    throw new VectorFileFormatException(file, "direction for layer " + id + " has a value at"
                            + " index " + i + " that is not a finite number");
                }
                d[i] = v.floatValue();
            }
            if (byId.put(id, d) != null) {
                throw new VectorFileFormatException(file, "layer " + id + " appears twice");
            }
        }
        if (byId.isEmpty()) {
            throw new VectorFileFormatException(file, "\"directions\" is empty");
        }
        boolean shift = byId.firstKey() >= 1;
        TreeMap<Integer, float[]> directions = new TreeMap<>();
        byId.forEach((id, d) -> directions.put(shift ? id - 1 : id, d));
        JsonNode modelType = root.path("model_type");
        VectorMetadata.Builder meta = VectorMetadata.builder()
                .modelId(!options.modelId().isEmpty() ? options.modelId() : modelType.isTextual()
                        ? modelType.asText() : "")
                .hiddenSize(hidden)
                .hookPoint(shift ? HookPoint.RESID_POST : HookPoint.RESID_PRE)
                .createdAt(null)
                .note("source_format", SOURCE_FORMAT)
                .note("source_convention", CONVENTION)
                .note("source_layers", String.join(",", byId.keySet().stream().map(String::valueOf).toList()));
        JsonNode ev = root.path("explained_variances");
        if (ev.isObject() && !ev.isEmpty()) {
            meta.note("explained_variances", JSON.writeValueAsString(ev));
        }
        return new SteeringVector(directions, meta.build());
    }

    private static int layerId(Path file, String key, VectorImportOptions options)
            throws VectorFileFormatException {
        if (!key.matches("-?\\d{1,6}")) {
            throw new VectorFileFormatException(file, "a key of \"directions\" is not a layer number");
        }
        int id = Integer.parseInt(key);
        if (id < 0) {
            if (options.modelLayerCount().isEmpty()) {
                throw new VectorFileFormatException(file, "layer id " + id + " counts from the end of the model:"
                        + " give the model's layer count (VectorImportOptions.withModelLayerCount) to map it");
            }
            id += options.modelLayerCount().getAsInt();
            if (id < 0) {
                throw new VectorFileFormatException(file, "layer id " + key + " is before the model's first layer");
            }
        }
        return id;
    }

    /**
     * Writes {@code vector} as a {@code .svec} file, atomically.
     *
     * @throws IllegalArgumentException if the vector is not for {@code resid_post} or {@code resid_pre}, or uses
     *                                  another layer numbering than steer4j's
     * @throws IOException              if writing fails
     */
    public static void write(SteeringVector vector, Path file) throws IOException {
        Objects.requireNonNull(vector, "vector");
        Objects.requireNonNull(file, "file");
        VectorMetadata meta = vector.metadata();
        if (!VectorMetadata.STEER4J_LAYER_NUMBERING.equals(meta.layerNumbering())) {
            throw new IllegalArgumentException("cannot map layer numbering '" + meta.layerNumbering()
                    + "' to activation-steering's");
        }
        int shift;
        if (HookPoint.RESID_POST.id().equals(meta.hookPoint())) {
            shift = 1;
        } else if (HookPoint.RESID_PRE.id().equals(meta.hookPoint())) {
            shift = 0;
        } else {
            throw new IllegalArgumentException("activation-steering adds vectors to a block's input (resid_pre);"
                    + " this vector is for " + meta.hookPoint());
        }
        ObjectNode root = JSON.createObjectNode();
        root.put("model_type", meta.modelId());
        ObjectNode dirs = root.putObject("directions");
        List<String> ids = new ArrayList<>();
        for (int layer : vector.layers()) {
            String id = Integer.toString(layer + shift);
            ids.add(id);
            var arr = dirs.putArray(id);
            for (float f : vector.direction(layer)) {
                arr.add(f);
            }
        }
        ObjectNode ev = root.putObject("explained_variances");
        String kept = meta.notes().get("explained_variances");
        if (kept != null) {
            JsonNode old = JSON.readTree(kept);
            for (String id : ids) {
                if (old.has(id)) {
                    ev.set(id, old.get(id));
                }
            }
        }
        SafetensorsWriter.writeAtomically(file, JSON.writeValueAsString(root).getBytes(StandardCharsets.UTF_8));
    }
}
