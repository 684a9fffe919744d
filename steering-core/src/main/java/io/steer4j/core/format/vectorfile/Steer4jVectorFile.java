package io.steer4j.core.format.vectorfile;

import io.steer4j.core.format.VectorFileFormatException;
import io.steer4j.core.format.safetensors.SafetensorsFormatException;
import io.steer4j.core.format.safetensors.SafetensorsHeader;
import io.steer4j.core.format.safetensors.SafetensorsTensorInfo;
import io.steer4j.core.format.safetensors.SafetensorsWriter;
import io.steer4j.core.plan.HookPoint;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.core.vector.VectorMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The steer4j vector file: a safetensors file any safetensors reader (Python, Rust, ...) can open.
 *
 * <p>Content: one F32 tensor {@code direction.<layer>} of shape {@code [hidden]} per layer (steer4j layer
 * numbering), and string metadata in {@code __metadata__}: {@code steer4j} holds the full {@link VectorMetadata}
 * as JSON (field names documented on {@code VectorMetadataJson}: {@code format_version, model_id, hidden_size,
 * hook_point, layer_numbering, method, read_position, dataset_size, created_at, notes}); the plain keys
 * {@code model_id}, {@code hidden_size}, {@code hook_point} and {@code method} repeat the essentials for tools
 * that do not parse JSON; {@code format} is {@code "pt"} as PyTorch-oriented tools expect.
 *
 * <p>Reading also accepts files written by other tools with only {@code direction.N} tensors (F32, F16, BF16 or
 * F64): metadata then comes from the plain keys if present, else defaults, with the hidden size taken from the
 * tensors. Tensors with other names are skipped with a warning.
 *
 * <pre>{@code
 * Steer4jVectorFile.write(vector, Path.of("honesty.safetensors"));
 * SteeringVector back = Steer4jVectorFile.read(Path.of("honesty.safetensors"));
 * }</pre>
 */
public final class Steer4jVectorFile {
    /** {@code __metadata__} key holding the metadata JSON. */
    public static final String METADATA_KEY = "steer4j";

    private static final Logger LOG = LoggerFactory.getLogger(Steer4jVectorFile.class);
    private static final Pattern DIRECTION = Pattern.compile("direction\\.(\\d{1,9})");

    private Steer4jVectorFile() {
    }

    /**
     * Writes {@code vector} atomically (temporary file in the same folder, then a move).
     *
     * @throws IOException if writing fails
     */
    public static void write(SteeringVector vector, Path file) throws IOException {
        Objects.requireNonNull(vector, "vector");
        Objects.requireNonNull(file, "file");
        VectorMetadata m = vector.metadata();
        SafetensorsWriter w = new SafetensorsWriter()
                .metadata("format", "pt")
                .metadata(METADATA_KEY, VectorMetadataJson.toJson(m))
                .metadata("model_id", m.modelId())
                .metadata("hidden_size", Integer.toString(m.hiddenSize()))
                .metadata("hook_point", m.hookPoint())
                .metadata("method", m.method());
        for (int layer : vector.layers()) {
            w.addF32("direction." + layer, new long[] {m.hiddenSize()}, vector.direction(layer));
        }
        w.writeAtomically(file);
    }

    /**
     * Reads a vector file.
     *
     * @throws VectorFileFormatException if the file is not valid safetensors, has no {@code direction.N} tensors,
     *                                   a direction that is not 1-D or whose length disagrees with the others or
     *                                   the metadata, invalid metadata, or non-finite values
     * @throws IOException               if it cannot be read
     */
    public static SteeringVector read(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            SafetensorsHeader header;
            try {
                header = SafetensorsHeader.read(ch, file);
            } catch (SafetensorsFormatException e) {
                throw new VectorFileFormatException(file, "not a valid safetensors file: " + problem(file, e), e);
            }
            Map<Integer, float[]> directions = new TreeMap<>();
            long hidden = -1;
            int skipped = 0;
            for (SafetensorsTensorInfo t : header.tensors()) {
                Matcher matcher = DIRECTION.matcher(t.name());
                if (!matcher.matches()) {
                    skipped++;
                    continue;
                }
                long[] shape = t.shape();
                if (shape.length != 1 || shape[0] == 0) {
                    throw new VectorFileFormatException(file, "tensor '" + t.name() + "' has shape "
                            + Arrays.toString(shape) + "; a direction must be 1-D and non-empty");
                }
                if (hidden >= 0 && shape[0] != hidden) {
                    throw new VectorFileFormatException(file, "tensor '" + t.name() + "' has length " + shape[0]
                            + " but earlier directions have length " + hidden);
                }
                hidden = shape[0];
                float[] values;
                try {
                    values = header.readFloats(ch, t, file);
                } catch (SafetensorsFormatException e) {
                    throw new VectorFileFormatException(file, problem(file, e), e);
                }
                directions.put(Integer.parseInt(matcher.group(1)), values);
            }
            if (directions.isEmpty()) {
                // A model checkpoint given where a vector belongs has hundreds of tensors: say so once, up front.
                throw new VectorFileFormatException(file, "no direction.N tensors"
                        + (skipped > 0 ? " among its " + skipped + " tensors" : "")
                        + ": not a steering vector file" + (skipped > 8 ? " (a model checkpoint?)" : ""));
            }
            if (skipped > 0) {
                LOG.warn("{}: ignored {} tensor(s) not named direction.N", file, skipped);
            }
            if (hidden > Integer.MAX_VALUE) {
                throw new VectorFileFormatException(file, "hidden size " + hidden + " is too large");
            }
            VectorMetadata meta = metadata(file, header.metadata(), (int) hidden);
            try {
                return new SteeringVector(directions, meta);
            } catch (IllegalArgumentException e) {
                throw new VectorFileFormatException(file, e.getMessage(), e);
            }
        }
    }

    /** The safetensors exception's message without its leading file name, which ours adds again. */
    private static String problem(Path file, SafetensorsFormatException e) {
        String prefix = file + ": ";
        String m = e.getMessage();
        return m != null && m.startsWith(prefix) ? m.substring(prefix.length()) : m;
    }

    private static VectorMetadata metadata(Path file, Map<String, String> raw, int hidden)
            throws VectorFileFormatException {
        VectorMetadata meta;
        try {
            String json = raw.get(METADATA_KEY);
            if (json != null) {
                meta = VectorMetadataJson.fromJson(json);
            } else {
                VectorMetadata.Builder b = VectorMetadata.builder().hiddenSize(hidden).createdAt(null)
                        .hookPoint(raw.getOrDefault("hook_point", HookPoint.RESID_POST.id()))
                        .modelId(raw.getOrDefault("model_id", ""))
                        .method(raw.getOrDefault("method", ""));
                meta = b.build();
            }
        } catch (IllegalArgumentException e) {
            throw new VectorFileFormatException(file, "invalid metadata: " + e.getMessage(), e);
        }
        if (meta.hiddenSize() != hidden) {
            throw new VectorFileFormatException(file, "metadata says hidden size " + meta.hiddenSize()
                    + " but the direction tensors have length " + hidden);
        }
        return meta;
    }
}
