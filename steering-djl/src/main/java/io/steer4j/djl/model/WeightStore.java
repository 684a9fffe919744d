package io.steer4j.djl.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steer4j.core.format.safetensors.SafetensorsDtype;
import io.steer4j.core.format.safetensors.SafetensorsHeader;
import io.steer4j.core.format.safetensors.SafetensorsTensorInfo;
import io.steer4j.djl.hub.RepoFileNames;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The tensors of a checkpoint ({@code model.safetensors}, or shards listed in {@code model.safetensors.index.json}),
 * turned into NDArrays on demand.
 *
 * <p>Float32 tensors are memory-mapped and handed to libtorch without a copy on CPU, so loading a model costs no
 * more than its page cache. Float16 and bfloat16 tensors are widened to float32 in Java (bfloat16 cannot be
 * created in DJL's engine without crashing, and float16 matrix products on CPU are slower). With
 * {@link Precision#FLOAT16} every tensor is kept in float16 instead: float16 tensors are mapped as they are, the
 * others narrowed once at load. Names are looked
 * up bare and under the family's prefixes ({@code transformer.}, {@code model.}, {@code gpt_neox.}), since
 * checkpoints differ there.
 */
final class WeightStore implements AutoCloseable {

    private record Located(Path file, SafetensorsTensorInfo info) {
    }

    private final Map<String, Located> tensors = new HashMap<>();
    private final Map<Path, FileChannel> channels = new HashMap<>();
    /** Mapped buffers must outlive the arrays created over them. */
    private final List<ByteBuffer> keepAlive = new ArrayList<>();
    private final Set<String> used = new LinkedHashSet<>();
    private final List<String> prefixes;
    private final Precision precision;

    /**
     * Opens the checkpoint of a model folder.
     *
     * @param prefixes prefixes tried, in order, before each name asked for ({@code ""} for the bare name)
     */
    WeightStore(Path modelDir, List<String> prefixes, Precision precision) {
        this.prefixes = List.copyOf(prefixes);
        this.precision = precision;
        List<Path> files = weightFiles(modelDir);
        try {
            for (Path f : files) {
                FileChannel ch = FileChannel.open(f, StandardOpenOption.READ);
                channels.put(f, ch);
                SafetensorsHeader h = SafetensorsHeader.read(ch, f);
                for (SafetensorsTensorInfo t : h.tensors()) {
                    tensors.put(t.name(), new Located(f, t));
                }
            }
        } catch (IOException e) {
            close();
            throw new ModelLoadException("cannot read weights in " + modelDir + ": " + e.getMessage(), e);
        }
    }

    private static List<Path> weightFiles(Path dir) {
        Path single = dir.resolve("model.safetensors");
        if (Files.isRegularFile(single)) {
            return List.of(single);
        }
        Path index = dir.resolve("model.safetensors.index.json");
        if (Files.isRegularFile(index)) {
            try {
                JsonNode map = new ObjectMapper().readTree(index.toFile()).path("weight_map");
                Set<String> shards = new LinkedHashSet<>();
                Iterator<JsonNode> it = map.elements();
                while (it.hasNext()) {
                    shards.add(it.next().asText());
                }
                List<Path> out = new ArrayList<>();
                for (String s : shards) {
                    if (!RepoFileNames.isSafe(s)) { // the rule the hub download applies to the same index
                        throw new ModelLoadException(index + " lists shard " + RepoFileNames.printable(s)
                                + ", which is not a relative file name inside the model folder");
                    }
                    Path p = dir.resolve(s);
                    if (!Files.isRegularFile(p)) {
                        throw new ModelLoadException(index + " lists shard " + s + " which is missing");
                    }
                    out.add(p);
                }
                if (out.isEmpty()) {
                    throw new ModelLoadException(index + " lists no shards");
                }
                return out;
            } catch (IOException e) {
                throw new ModelLoadException("cannot read " + index + ": " + e.getMessage(), e);
            }
        }
        throw new ModelLoadException(dir + " has no model.safetensors (nor model.safetensors.index.json); "
                + "steer4j reads safetensors checkpoints only");
    }

    /** Whether a tensor with this name (under any known prefix) exists. */
    boolean has(String name) {
        return find(name) != null;
    }

    private Located find(String name) {
        for (String p : prefixes) {
            Located l = tensors.get(p + name);
            if (l != null) {
                return l;
            }
        }
        return null;
    }

    /**
     * Loads a tensor in the store's precision on the manager's device, checking its shape.
     *
     * @throws ModelLoadException when missing or shaped differently from what the config implies
     */
    NDArray load(NDManager manager, String name, long... expectedShape) {
        Located l = find(name);
        if (l == null) {
            throw new ModelLoadException("weight '" + name + "' is missing from the checkpoint");
        }
        SafetensorsTensorInfo t = l.info();
        if (!Arrays.equals(t.shape(), expectedShape)) {
            throw new ModelLoadException("weight '" + name + "' has shape " + Arrays.toString(t.shape())
                    + " but config.json implies " + Arrays.toString(expectedShape) + " (config does not match weights)");
        }
        used.add(t.name());
        try {
            Shape shape = new Shape(expectedShape);
            if (precision == Precision.FLOAT16) {
                if (t.dtype() == SafetensorsDtype.F16 && t.dataOffset() % 2 == 0) {
                    return manager.create(mapped(l), shape, DataType.FLOAT16);
                }
                try (NDArray wide = manager.create(asFloat32(l), shape, DataType.FLOAT32)) {
                    return wide.toType(DataType.FLOAT16, false);
                }
            }
            return manager.create(asFloat32(l), shape, DataType.FLOAT32);
        } catch (IOException e) {
            throw new ModelLoadException("cannot read weight '" + name + "' from " + l.file() + ": " + e.getMessage(), e);
        }
    }

    private ByteBuffer mapped(Located l) throws IOException {
        SafetensorsTensorInfo t = l.info();
        MappedByteBuffer mapped = channels.get(l.file()).map(FileChannel.MapMode.READ_ONLY, t.dataOffset(),
                t.byteLength());
        mapped.order(ByteOrder.LITTLE_ENDIAN);
        keepAlive.add(mapped);
        return mapped;
    }

    private ByteBuffer asFloat32(Located l) throws IOException {
        SafetensorsTensorInfo t = l.info();
        FileChannel ch = channels.get(l.file());
        int n = Math.toIntExact(t.elementCount());
        if (t.dtype() == SafetensorsDtype.F32 && t.dataOffset() % 4 == 0) {
            return mapped(l);
        }
        MappedByteBuffer src = ch.map(FileChannel.MapMode.READ_ONLY, t.dataOffset(), t.byteLength());
        src.order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer dst = ByteBuffer.allocateDirect(n * 4).order(ByteOrder.nativeOrder());
        switch (t.dtype()) {
            case F32 -> dst.asFloatBuffer().put(src.asFloatBuffer());
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    dst.putFloat(i * 4, io.steer4j.core.format.safetensors.FloatDecoding.halfToFloat(src.getShort(i * 2)));
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    dst.putInt(i * 4, (src.getShort(i * 2) & 0xFFFF) << 16);
                }
            }
            default -> throw new ModelLoadException("weight '" + t.name() + "' has dtype " + t.dtype()
                    + "; expected F32, F16 or BF16");
        }
        keepAlive.add(dst);
        return dst;
    }

    /** Tensor names in the checkpoint that no load call asked for (buffers such as attn.bias are expected). */
    List<String> unused() {
        List<String> out = new ArrayList<>();
        for (String n : tensors.keySet()) {
            if (!used.contains(n)) {
                out.add(n);
            }
        }
        return out;
    }

    @Override
    public void close() {
        for (FileChannel ch : channels.values()) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // closing a read-only channel cannot lose data
            }
        }
        channels.clear();
    }
}
