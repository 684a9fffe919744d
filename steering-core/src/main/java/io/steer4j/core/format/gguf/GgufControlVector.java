package io.steer4j.core.format.gguf;

import io.steer4j.core.format.VectorFileFormatException;
import io.steer4j.core.format.safetensors.SafetensorsWriter;
import io.steer4j.core.plan.HookPoint;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.core.vector.VectorMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads and writes llama.cpp control vectors ({@code --control-vector file.gguf}), the format repeng's
 * {@code ControlVector.export_gguf} writes.
 *
 * <p>A control vector is a GGUF v3 file with metadata {@code general.architecture = "controlvector"} (string),
 * {@code controlvector.model_hint} (string, e.g. the model type) and {@code controlvector.layer_count} (uint32 as
 * repeng writes it; llama.cpp's own generator writes int32 and its loader ignores the key), and one 1-D F32 tensor
 * {@code direction.N} of length {@code n_embd} per layer.
 *
 * <p><b>Layer numbering.</b> llama.cpp adds {@code direction.N} (N &gt;= 1) to the output of 0-based block N, which
 * is steer4j's layer N ({@code resid_post(N)}); so layers map one to one, and layer 0 cannot be written because
 * llama.cpp rejects {@code direction.0}. Only {@code resid_post} vectors in steer4j numbering can be written, since
 * that is where llama.cpp applies them.
 *
 * <p><b>What is lost.</b> The format has no room for steer4j metadata: writing keeps the model id (as the model
 * hint) and the directions only. Reading yields hook point {@code resid_post}, the model hint as model id, empty
 * method and read position, dataset size 0, unknown creation time and a note {@code source_format=gguf}.
 *
 * <p>Reading also accepts F16 tensors (widened exactly) and honours {@code general.alignment}. Writes are atomic.
 *
 * <pre>{@code
 * GgufControlVector.write(vector.restrictTo(1, 23), Path.of("happy.gguf"));   // for llama.cpp
 * SteeringVector fromRepeng = GgufControlVector.read(Path.of("repeng-export.gguf"));
 * }</pre>
 */
public final class GgufControlVector {
    /** The architecture string of control-vector files. */
    public static final String ARCHITECTURE = "controlvector";

    private static final Logger LOG = LoggerFactory.getLogger(GgufControlVector.class);
    private static final Pattern DIRECTION = Pattern.compile("direction\\.(\\d{1,9})");

    private GgufControlVector() {
    }

    /**
     * Reads a control vector.
     *
     * @throws VectorFileFormatException if the file is not valid GGUF, holds a tensor not named
     *                                   {@code direction.N} with N &gt;= 1, tensors of differing or non-1-D shape,
     *                                   no tensors, or non-finite values
     * @throws IOException               if it cannot be read
     */
    public static SteeringVector read(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        GgufFile gguf = GgufReader.read(file);
        Map<Integer, float[]> directions = new TreeMap<>();
        long hidden = -1;
        for (GgufTensor t : gguf.tensors()) {
            Matcher m = DIRECTION.matcher(t.name());
            if (!m.matches()) {
                throw new VectorFileFormatException(file, "tensor '" + t.name() + "' is not a control-vector"
                        + " direction (expected names direction.N)");
            }
            int layer = Integer.parseInt(m.group(1));
            if (layer == 0) {
                throw new VectorFileFormatException(file, "tensor direction.0 is invalid: llama.cpp numbers control"
                        + " vector layers from 1 (direction.N is added to the output of block N)");
            }
            long[] dims = t.dims();
            for (int i = 1; i < dims.length; i++) {
                if (dims[i] != 1) {
                    throw new VectorFileFormatException(file, "tensor '" + t.name() + "' has shape "
                            + Arrays.toString(dims) + "; a direction must be 1-D");
                }
            }
            if (dims[0] == 0) {
                throw new VectorFileFormatException(file, "tensor '" + t.name() + "' is empty");
            }
            if (hidden >= 0 && dims[0] != hidden) {
                throw new VectorFileFormatException(file, "tensor '" + t.name() + "' has length " + dims[0]
                        + " but earlier directions have length " + hidden);
            }
            hidden = dims[0];
            directions.put(layer, t.values());
        }
        if (directions.isEmpty()) {
            throw new VectorFileFormatException(file, "no direction tensors: not a control vector");
        }
        Object arch = gguf.metadata().get("general.architecture");
        if (arch != null && !ARCHITECTURE.equals(arch)) {
            LOG.warn("{}: general.architecture is '{}', expected '{}'", file, arch, ARCHITECTURE);
        }
        Object layerCount = gguf.metadata().get(ARCHITECTURE + ".layer_count");
        if (layerCount instanceof Long n && n != directions.size()) {
            LOG.warn("{}: controlvector.layer_count is {} but the file holds {} direction tensors", file, n,
                    directions.size());
        }
        Object hint = gguf.metadata().get(ARCHITECTURE + ".model_hint");
        VectorMetadata meta = VectorMetadata.builder()
                .modelId(hint instanceof String s ? s : "")
                .hiddenSize((int) hidden)
                .hookPoint(HookPoint.RESID_POST)
                .createdAt(null)
                .note("source_format", "gguf")
                .build();
        try {
            return new SteeringVector(directions, meta);
        } catch (IllegalArgumentException e) {
            throw new VectorFileFormatException(file, e.getMessage(), e);
        }
    }

    /**
     * Writes {@code vector} as a llama.cpp control vector, atomically (temporary file in the same folder, then an
     * atomic move), so readers never see a partial file.
     *
     * @throws IllegalArgumentException if the vector has layer 0, is not for {@code resid_post}, or uses another
     *                                  layer numbering than steer4j's
     * @throws IOException              if writing fails
     */
    public static void write(SteeringVector vector, Path file) throws IOException {
        Objects.requireNonNull(vector, "vector");
        Objects.requireNonNull(file, "file");
        VectorMetadata meta = vector.metadata();
        if (!HookPoint.RESID_POST.id().equals(meta.hookPoint())) {
            throw new IllegalArgumentException("llama.cpp applies control vectors to resid_post (block output);"
                    + " this vector is for " + meta.hookPoint());
        }
        if (!VectorMetadata.STEER4J_LAYER_NUMBERING.equals(meta.layerNumbering())) {
            throw new IllegalArgumentException("cannot map layer numbering '" + meta.layerNumbering()
                    + "' to llama.cpp's; expected '" + VectorMetadata.STEER4J_LAYER_NUMBERING + "'");
        }
        if (vector.hasLayer(0)) {
            throw new IllegalArgumentException("layer 0 cannot be written to a GGUF control vector: llama.cpp adds"
                    + " direction.N to the output of block N and rejects N = 0; drop it with restrictTo(1, "
                    + vector.layers().last() + ")");
        }
        GgufWriter w = new GgufWriter()
                .putString("general.architecture", ARCHITECTURE)
                .putString(ARCHITECTURE + ".model_hint", meta.modelId())
                .putUint32(ARCHITECTURE + ".layer_count", vector.layers().size());
        for (int layer : vector.layers()) {
            w.addF32("direction." + layer, vector.direction(layer));
        }
        SafetensorsWriter.writeAtomically(file, w.toBytes());
    }
}
