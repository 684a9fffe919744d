package io.steer4j.djl.model;

import io.steer4j.core.format.UntrustedJson;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import io.steer4j.core.format.safetensors.SafetensorsDtype;
import io.steer4j.core.format.safetensors.SafetensorsHeader;
import io.steer4j.core.format.safetensors.SafetensorsTensorInfo;
import io.steer4j.core.format.gguf.GgmlType;
import io.steer4j.djl.gguf.GgufCheckpoint;
import io.steer4j.djl.hub.RepoFileNames;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
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
    /** Arrays that view a float32 tensor of the file in place (zero-copy), and their transposed views. */
    private final Map<NDArray, Located> inPlace = new IdentityHashMap<>();
    private final Map<NDArray, Located> transposedInPlace = new IdentityHashMap<>();
    private final Set<String> used = new LinkedHashSet<>();
    /** The stored dtypes of the 2-D tensors loaded so far (matrices, embeddings). */
    private final Set<SafetensorsDtype> matrixDtypes = java.util.EnumSet.noneOf(SafetensorsDtype.class);
    /** For a folder unpacked from a GGUF file: the GGUF type each matrix was stored in ({@link GgufCheckpoint}). */
    private final Map<String, GgmlType> ggufTypes = new HashMap<>();
    /** The GGUF types of the 2-D tensors loaded so far, for a folder that records them. */
    private final Set<GgmlType> matrixGgufTypes = java.util.EnumSet.noneOf(GgmlType.class);
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
                h.metadata().forEach((k, v) -> {
                    if (k.startsWith(GgufCheckpoint.TYPE_KEY_PREFIX)) {
                        GgmlType type = ggmlType(v);
                        if (type != null) {
                            ggufTypes.put(k.substring(GgufCheckpoint.TYPE_KEY_PREFIX.length()), type);
                        }
                    }
                });
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
                JsonNode root = UntrustedJson.read(index);
                JsonNode map = root == null ? com.fasterxml.jackson.databind.node.MissingNode.getInstance()
                        : root.path("weight_map");
                Set<String> shards = new LinkedHashSet<>();
                Iterator<JsonNode> it = map.elements();
                while (it.hasNext()) {
                    shards.add(it.next().asText());
                    if (shards.size() > RepoFileNames.MAX_SHARDS) {
                        throw new ModelLoadException(index + " lists more than " + RepoFileNames.MAX_SHARDS
                                + " shard files (the largest published checkpoints have a few hundred)");
                    }
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
                throw new ModelLoadException("cannot read the shard index: " + e.getMessage(), e);
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
        if (t.shape().length == 2) {
            matrixDtypes.add(t.dtype());
            GgmlType gguf = ggufTypes.get(t.name());
            if (gguf != null) {
                matrixGgufTypes.add(gguf);
            }
        }
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
            NDArray a = manager.create(asFloat32(l), shape, DataType.FLOAT32);
            if (t.dtype() == SafetensorsDtype.F32 && t.dataOffset() % 4 == 0 && !a.getDevice().isGpu()) {
                inPlace.put(a, l);
            }
            return a;
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

    /**
     * {@code loaded.transpose()} of a 2-D array from {@link #load}, remembered so that {@link #floats} can read the
     * view's values from the file too (GPT-2's Conv1D weights are stored {@code [in, out]}).
     */
    NDArray transposed(NDArray loaded) {
        NDArray view = loaded.transpose();
        Located l = inPlace.get(loaded);
        if (l != null) {
            transposedInPlace.put(view, l);
        }
        return view;
    }

    /**
     * The float32 values of {@code a} in row-major order of its logical shape, for the Java CPU engine's own copy.
     *
     * <p>Why not {@code a.toFloatArray()}: a float32 CPU weight is a zero-copy view of the memory-mapped file, and
     * reading it through the mapping would make every page of the checkpoint resident in this process on top of
     * the Java copy (the libtorch path may never run). A tensor that views the file, or the transpose of one, is
     * read with positional file reads through a small buffer instead; anything else (fused, regrouped, converted
     * from half precision) is already a copy in memory and is copied out of libtorch.
     */
    float[] floats(NDArray a) {
        if (a == null) {
            return null;
        }
        float[][] rows = rowsOrNull(a);
        if (rows == null) {
            return a.toType(DataType.FLOAT32, false).toFloatArray();
        }
        if (rows.length == 1) {
            return rows[0];
        }
        int width = rows[0].length;
        float[] out = new float[rows.length * width];
        for (int r = 0; r < rows.length; r++) {
            System.arraycopy(rows[r], 0, out, r * width, width);
        }
        return out;
    }

    /**
     * The float32 values of a 2-D {@code a} as its logical rows, one array per row: the layout of the Vector API
     * path's products (see {@code io.steer4j.djl.engine.cpu.SimdKernels.matmulRows}), read as {@link #floats} reads, without a flat copy
     * of the whole tensor on the way.
     */
    float[][] rows(NDArray a) {
        if (a.getShape().dimension() != 2) {
            throw new IllegalArgumentException("rows of a " + a.getShape() + " array; expected 2-D");
        }
        float[][] rows = rowsOrNull(a);
        if (rows != null) {
            return rows;
        }
        int out = (int) a.getShape().get(0);
        int in = (int) a.getShape().get(1);
        float[] flat = a.toType(DataType.FLOAT32, false).toFloatArray();
        rows = new float[out][];
        for (int r = 0; r < out; r++) {
            rows[r] = Arrays.copyOfRange(flat, r * in, (r + 1) * in);
        }
        return rows;
    }

    /** {@link #readRows} for a tensor that views the file (or its transpose), else null. */
    private float[][] rowsOrNull(NDArray a) {
        try {
            Located l = inPlace.get(a);
            if (l != null) {
                return readRows(l, false);
            }
            l = transposedInPlace.get(a);
            if (l != null) {
                return readRows(l, true);
            }
        } catch (IOException e) {
            throw new ModelLoadException("cannot read weight '" + inPlaceName(a) + "': " + e.getMessage(), e);
        }
        return null;
    }

    private String inPlaceName(NDArray a) {
        Located l = inPlace.containsKey(a) ? inPlace.get(a) : transposedInPlace.get(a);
        return l == null ? "?" : l.info().name();
    }

    /** Rows of the file read per chunk: a few hundred KB, so loading makes no garbage the size of a tensor. */
    private static final int CHUNK_BYTES = 1 << 20;
    /** One read buffer for every {@link #readRows} call (a direct buffer per tensor would linger until a GC). */
    private ByteBuffer chunkBuffer;

    /**
     * The tensor's values as rows of its last dimension ({@code transpose}: of its first, for a transposed 2-D
     * view); a 1-D tensor is one row.
     */
    private float[][] readRows(Located l, boolean transpose) throws IOException {
        SafetensorsTensorInfo t = l.info();
        long[] shape = t.shape();
        long n = t.elementCount();
        if (n > Integer.MAX_VALUE - 16) {
            throw new ModelLoadException("weight '" + t.name() + "' has " + n + " elements, more than a Java array");
        }
        int cols = shape.length == 0 ? 1 : (int) shape[shape.length - 1];
        int rows = (int) (n / Math.max(cols, 1));
        float[][] out = transpose ? new float[cols][rows] : new float[rows][cols];
        FileChannel ch = channels.get(l.file());
        int rowsPerChunk = Math.max(1, CHUNK_BYTES / Math.max(4 * cols, 1));
        int bytes = rowsPerChunk * 4 * Math.max(cols, 1);
        if (chunkBuffer == null || chunkBuffer.capacity() < bytes) {
            chunkBuffer = ByteBuffer.allocateDirect(Math.max(bytes, CHUNK_BYTES)).order(ByteOrder.LITTLE_ENDIAN);
        }
        ByteBuffer buf = chunkBuffer;
        float[] chunk = transpose ? new float[rowsPerChunk * cols] : null;
        for (int r0 = 0; r0 < rows; r0 += rowsPerChunk) {
            int k = Math.min(rowsPerChunk, rows - r0);
            buf.clear().limit(k * 4 * cols);
            long pos = t.dataOffset() + (long) r0 * 4 * cols;
            while (buf.hasRemaining()) {
                if (ch.read(buf, pos + buf.position()) < 0) {
                    throw new ModelLoadException("weight '" + t.name() + "' ends past the end of " + l.file());
                }
            }
            buf.flip();
            FloatBuffer fb = buf.asFloatBuffer();
            if (!transpose) {
                for (int j = 0; j < k; j++) {
                    fb.get(out[r0 + j], 0, cols);
                }
                continue;
            }
            // stored [rows, cols], wanted [cols, rows]: each chunk of rows lands as a run in every output row
            fb.get(chunk, 0, k * cols);
            for (int c = 0; c < cols; c++) {
                float[] o = out[c];
                for (int j = 0; j < k; j++) {
                    o[r0 + j] = chunk[j * cols + c];
                }
            }
        }
        return out;
    }

    /**
     * The dtype in which the checkpoint stores every 2-D tensor loaded so far (its matrices and embeddings), or
     * null when they differ or none was loaded. The Java CPU engine keeps a bfloat16 or float16 checkpoint's
     * matrices in that format: the float32 arrays this store hands out hold exactly the widened 16-bit values, whatever
     * fusing, regrouping or transposing the family did with them.
     */
    SafetensorsDtype matrixDtype() {
        return matrixDtypes.size() == 1 ? matrixDtypes.iterator().next() : null;
    }

    /**
     * The GGUF types in which the file this folder was unpacked from stored the 2-D tensors loaded so far (empty
     * for a folder that does not record them: one not made by {@link GgufCheckpoint}). The float32 values this
     * store hands out for them are exactly the file's, whatever fusing or transposing the family did with them.
     */
    Set<GgmlType> matrixGgufTypes() {
        return java.util.Collections.unmodifiableSet(matrixGgufTypes);
    }

    /** A recorded type name, or null for one this version does not know (the engine then keeps float32). */
    private static GgmlType ggmlType(String name) {
        for (GgmlType g : GgmlType.values()) {
            if (g.name().equals(name)) {
                return g;
            }
        }
        return null;
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
