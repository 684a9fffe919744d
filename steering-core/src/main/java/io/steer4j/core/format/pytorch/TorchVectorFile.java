package io.steer4j.core.format.pytorch;

import io.steer4j.core.format.VectorFileFormatException;
import io.steer4j.core.format.VectorImportOptions;
import io.steer4j.core.plan.HookPoint;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.core.vector.VectorMetadata;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Matcher;

/**
 * Reads steering vectors that Python tools saved with {@code torch.save}, safely: the file is loaded by
 * {@link TorchSaveFile} (a restricted unpickler that executes nothing) and its content mapped to steer4j's
 * convention, layer {@code L} = {@code resid_post(L)}, the output of 0-based block {@code L}.
 *
 * <table>
 *   <caption>What a file may hold</caption>
 *   <tr><th>content</th><th>source</th><th>mapping</th></tr>
 *   <tr><td>one 1-D tensor (or numpy array)</td><td>CAA's {@code vec_layer_L_MODEL.pt}, the article's
 *       {@code torch.save(vector)}</td><td>layer from {@link VectorImportOptions#layers()} or the CAA file name;
 *       CAA adds it to the output of block L: {@code resid_post(L)}</td></tr>
 *   <tr><td>dict {@code {layer: tensor}} (also OrderedDict)</td><td>hand-saved, EasySteer</td>
 *       <td>{@code resid_post(layer)}</td></tr>
 *   <tr><td>steering-vectors {@code SteeringVector(layer_activations, layer_type)}</td><td>steering-vectors</td>
 *       <td>{@code decoder_block} hooks the block output: {@code resid_post(L)}; {@code self_attn}:
 *       {@code attn_out(L)}; {@code mlp}: {@code mlp_out(L)}; other layer types are refused</td></tr>
 *   <tr><td>repeng {@code ControlVector(model_type, directions)}</td><td>repeng</td><td>repeng adds direction
 *       {@code i} to the output of {@code model.layers[i]}: {@code resid_post(i)}. Current repeng stores ids
 *       {@code 1..n-1} (it normalises its default {@code range(-1, -n, -1)}); older versions kept them negative,
 *       and {@code -k} becomes {@code n - k} given the model's layer count {@code n}</td></tr>
 * </table>
 *
 * <p>Layer ids below zero are mapped the same way for every layout, and refused when no layer count is given. The
 * metadata records {@code source_format=torch.save}, the layout, the source's convention, the stored dtype and,
 * when they were renumbered, the original layer ids. Directions are widened to float32 exactly (float16, bfloat16)
 * or rounded (float64).
 *
 * <pre>{@code
 * SteeringVector caa = TorchVectorFile.read(Path.of("vec_layer_13_Llama-2-7b-chat-hf.pt"));
 * SteeringVector mine = TorchVectorFile.read(Path.of("helpfulness_vector.pt"),
 *         VectorImportOptions.defaults().withLayer(3));
 * }</pre>
 */
public final class TorchVectorFile {
    /** The {@code source_format} note of vectors read from torch.save files. */
    public static final String SOURCE_FORMAT = "torch.save";

    private TorchVectorFile() {
    }

    /** Reads with {@link VectorImportOptions#defaults()}. */
    public static SteeringVector read(Path file) throws IOException {
        return read(file, VectorImportOptions.defaults());
    }

    /**
     * Reads a {@code torch.save} file holding one of the layouts above.
     *
     * @throws VectorFileFormatException if the file is not a torch.save zip, holds anything the restricted
     *                                   unpickler refuses (named in the message), or holds no steering vector
     * @throws IOException               if it cannot be read
     */
    public static SteeringVector read(Path file, VectorImportOptions options) throws IOException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(options, "options");
        Object root = TorchSaveFile.load(file);
        try {
            return map(file, root, options);
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new VectorFileFormatException(file, e.getMessage(), e);
        }
    }

    private static SteeringVector map(Path file, Object root, VectorImportOptions options) {
        if (root instanceof TorchTensor || root instanceof NumpyArray) {
            List<Integer> layers;
            String model = "";
            Matcher m = CaaVectorFolder.FILE_NAME.matcher(file.getFileName().toString());
            if (!options.layers().isEmpty()) {
                layers = options.layers();
            } else if (m.matches()) {
                layers = List.of(Integer.parseInt(m.group(1)));
                model = m.group(2);
            } else {
                throw new IllegalArgumentException("holds a single tensor and does not say which layer it is for: "
                        + "give the layer (VectorImportOptions.withLayer, or FILE@LAYER on the command line) or "
                        + "name the file vec_layer_L_MODEL.pt as CAA does");
            }
            Map<Object, Object> each = new LinkedHashMap<>();
            for (int l : layers) {
                each.put((long) l, root);
            }
            return build(each, "tensor", HookPoint.RESID_POST, model,
                    "CAA / EasySteer pt_direction / bare tensor: added to the output of block L at each given layer"
                            + " (steer4j resid_post(L))", options);
        }
        if (root instanceof Map<?, ?> dict) {
            return build(dict, "dict {layer: tensor}", HookPoint.RESID_POST, "",
                    "dict {layer: tensor}: layer L taken as the output of block L (steer4j resid_post(L)), as"
                            + " CAA, steering-vectors and repeng apply them", options);
        }
        if (root instanceof PickledObject o && o.type() == AllowedGlobal.STEERING_VECTORS_STEERING_VECTOR) {
            Object type = o.fields().getOrDefault("layer_type", "decoder_block");
            HookPoint hook = switch (type instanceof String s ? s : "") {
                case "decoder_block" -> HookPoint.RESID_POST;
                case "self_attn" -> HookPoint.ATTN_OUT;
                case "mlp" -> HookPoint.MLP_OUT;
                default -> throw new IllegalArgumentException("steering-vectors SteeringVector has a layer_type"
                        + " steer4j has no hook point for (decoder_block, self_attn and mlp are read)");
            };
            return build(dict(o.fields().get("layer_activations"), "layer_activations"),
                    "steering-vectors SteeringVector", hook, "", "steering-vectors layer_type " + type
                            + ": forward hook on model.layers[L]" + (hook == HookPoint.RESID_POST ? "" : "." + type)
                            + " output (steer4j " + hook.id() + "(L))", options);
        }
        if (root instanceof PickledObject o && o.type() == AllowedGlobal.REPENG_CONTROL_VECTOR) {
            Object modelType = o.fields().get("model_type");
            return build(dict(o.fields().get("directions"), "directions"), "repeng ControlVector",
                    HookPoint.RESID_POST, modelType instanceof String s ? s : "",
                    "repeng: direction i added to the output of model.layers[i] (steer4j resid_post(i)), a negative"
                            + " i (older repeng) counted from the end", options);
        }
        throw new IllegalArgumentException("holds a " + RestrictedUnpickler.typeName(root) + ", not a steering"
                + " vector (a 1-D tensor, a dict {layer: tensor}, a steering-vectors SteeringVector or a repeng"
                + " ControlVector)");
    }

    private static Map<?, ?> dict(Object o, String field) {
        if (o instanceof Map<?, ?> m) {
            return m;
        }
        throw new IllegalArgumentException("field " + field + " is " + RestrictedUnpickler.typeName(o)
                + ", not a dict {layer: tensor}");
    }

    private static SteeringVector build(Map<?, ?> byLayer, String layout, HookPoint hook, String model,
                                        String convention, VectorImportOptions options) {
        if (byLayer.isEmpty()) {
            throw new IllegalArgumentException(layout + " holds no directions");
        }
        TreeMap<Integer, float[]> directions = new TreeMap<>();
        TreeMap<Integer, String> sourceIds = new TreeMap<>();
        boolean renumbered = false;
        String dtype = null;
        int hidden = -1;
        for (Map.Entry<?, ?> e : byLayer.entrySet()) {
            long id = layerId(e.getKey());
            long layer = id;
            if (id < 0) {
                if (options.modelLayerCount().isEmpty()) {
                    throw new IllegalArgumentException("layer id " + id + " counts from the end of the model: give"
                            + " the model's layer count (VectorImportOptions.withModelLayerCount; the CLI does when"
                            + " it loads a model) to map it");
                }
                layer = options.modelLayerCount().getAsInt() + id;
                if (layer < 0) {
                    throw new IllegalArgumentException("layer id " + id + " is before the first of the model's "
                            + options.modelLayerCount().getAsInt() + " layers");
                }
                renumbered = true;
            }
            if (layer > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("layer id " + id + " is too large");
            }
            TorchTensor t = tensor(e.getValue(), id);
            long[] squeezed = t.squeezed();
            if (squeezed.length != 1) {
                throw new IllegalArgumentException("layer " + id + " holds a tensor of shape "
                        + java.util.Arrays.toString(t.shape()) + "; a direction is 1-D");
            }
            if (hidden >= 0 && t.values().length != hidden) {
                throw new IllegalArgumentException("layer " + id + " has " + t.values().length
                        + " values but other layers have " + hidden);
            }
            hidden = t.values().length;
            if (directions.put((int) layer, t.values()) != null) {
                throw new IllegalArgumentException("two layer ids map to layer " + layer);
            }
            sourceIds.put((int) layer, Long.toString(id));
            dtype = dtype == null || dtype.equals(t.dtype()) ? t.dtype() : "mixed";
        }
        VectorMetadata.Builder meta = VectorMetadata.builder()
                .modelId(options.modelId().isEmpty() ? model : options.modelId())
                .hiddenSize(hidden)
                .hookPoint(hook)
                .createdAt(null)
                .note("source_format", SOURCE_FORMAT)
                .note("source_layout", layout)
                .note("source_convention", convention)
                .note("source_dtype", dtype);
        if (renumbered) {
            // in the order of steer4j's layers, so position k names the source id of the k-th layer
            meta.note("source_layers", String.join(",", sourceIds.values()));
        }
        return new SteeringVector(directions, meta.build());
    }

    private static long layerId(Object key) {
        if (key instanceof Long l) {
            return l;
        }
        if (key instanceof String s && s.matches("-?\\d{1,9}")) {
            return Long.parseLong(s);
        }
        if (key instanceof BigInteger) {
            throw new IllegalArgumentException("a layer id is too large");
        }
        throw new IllegalArgumentException("a key of type " + RestrictedUnpickler.typeName(key)
                + " is not a layer number");
    }

    private static TorchTensor tensor(Object o, long id) {
        if (o instanceof TorchTensor t) {
            return t;
        }
        if (o instanceof NumpyArray a) {
            return a.toTensor();
        }
        throw new IllegalArgumentException("layer " + id + " holds a " + RestrictedUnpickler.typeName(o)
                + ", not a tensor");
    }
}
