package io.steer4j.core.format.gguf;

import io.steer4j.core.format.VectorFileFormatException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A GGUF model file as llama.cpp writes it (versions 2 and 3): its metadata, and its tensors read one at a time
 * and widened to float32 ({@link GgmlType}: F32, F16, BF16, Q8_0; other types are refused by name).
 *
 * <p>The file is untrusted input. Only its header is mapped (at most {@link #MAX_HEADER_BYTES}); every count,
 * dimension and offset is checked against the file's length before anything is allocated; metadata arrays are
 * bounded in total ({@link #MAX_ARRAY_ELEMENTS}, room for the largest vocabularies with their merges). Problems
 * are {@link VectorFileFormatException}s naming the file and the byte offset or tensor.
 *
 * <pre>{@code
 * try (GgufModelFile f = GgufModelFile.open(Path.of("model.gguf"))) {
 *     String arch = f.string("general.architecture");
 *     float[] embed = f.floats(f.tensor("token_embd.weight").orElseThrow());
 * }
 * }</pre>
 */
public final class GgufModelFile implements AutoCloseable {
    /** The metadata and tensor infos must lie within this many bytes from the start (a 256k vocabulary: ~10 MB). */
    public static final long MAX_HEADER_BYTES = 1L << 30;
    /** Metadata array elements accepted in all (tokens, scores, token types and merges of a 256k vocabulary). */
    public static final long MAX_ARRAY_ELEMENTS = 8L << 20;
    /** Tensors accepted (a 128-block model with biases has under 2,000). */
    public static final int MAX_TENSORS = 65_536;

    private static final GgufReader.Limits MODEL = new GgufReader.Limits("a model file", MAX_TENSORS,
            MAX_ARRAY_ELEMENTS, true);
    /** Bytes read per positional read when a tensor is dequantised. */
    private static final int CHUNK_BYTES = 1 << 22;

    private final Path file;
    private final FileChannel channel;
    private final GgufReader.Header header;
    private final Map<String, GgufTensorInfo> byName = new LinkedHashMap<>();

    private GgufModelFile(Path file, FileChannel channel, GgufReader.Header header) {
        this.file = file;
        this.channel = channel;
        this.header = header;
        for (GgufTensorInfo t : header.tensors()) {
            byName.put(t.name(), t);
        }
    }

    /**
     * Opens and parses the header of a GGUF file.
     *
     * @throws VectorFileFormatException naming the file and what is wrong with it
     */
    public static GgufModelFile open(Path file) throws IOException {
        long size = Files.size(file);
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        try {
            ByteBuffer head = ch.map(FileChannel.MapMode.READ_ONLY, 0, Math.min(size, MAX_HEADER_BYTES));
            return new GgufModelFile(file, ch, GgufReader.readHeader(file, head, size, MODEL));
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** The file this was read from. */
    public Path file() {
        return file;
    }

    /** GGUF version (2 or 3). */
    public int version() {
        return header.version();
    }

    /**
     * Metadata in file order: {@code Long} (integers), {@code Double} (floats), {@code Boolean}, {@code String} or
     * {@code List} (arrays).
     */
    public Map<String, Object> metadata() {
        return Collections.unmodifiableMap(header.metadata());
    }

    /** The tensors in file order. */
    public List<GgufTensorInfo> tensors() {
        return header.tensors();
    }

    /** The tensor with this name, if the file has one. */
    public Optional<GgufTensorInfo> tensor(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** A string value, or the exception naming the key when it is missing or not a string. */
    public String string(String key) throws VectorFileFormatException {
        return typed(key, String.class, "a string");
    }

    /** An integer value, or the exception naming the key when it is missing or not an integer. */
    public long integer(String key) throws VectorFileFormatException {
        return typed(key, Long.class, "an integer");
    }

    /** A floating-point value (an integer is accepted), or the exception naming the key. */
    public double real(String key) throws VectorFileFormatException {
        Object v = header.metadata().get(key);
        if (v instanceof Long l) {
            return l;
        }
        return typed(key, Double.class, "a number");
    }

    /** A list value whose elements are all of {@code type}, or the exception naming the key. */
    public <T> List<T> list(String key, Class<T> type) throws VectorFileFormatException {
        @SuppressWarnings("unchecked")
        List<Object> l = typed(key, List.class, "an array");
        for (int i = 0; i < l.size(); i++) {
            if (!type.isInstance(l.get(i))) {
                throw new VectorFileFormatException(file, "metadata '" + key + "' element " + i + " is not "
                        + type.getSimpleName());
            }
        }
        @SuppressWarnings("unchecked")
        List<T> out = (List<T>) (List<?>) l;
        return out;
    }

    private <T> T typed(String key, Class<T> type, String what) throws VectorFileFormatException {
        Object v = header.metadata().get(key);
        if (v == null) {
            throw new VectorFileFormatException(file, "metadata '" + key + "' is missing");
        }
        if (!type.isInstance(v)) {
            throw new VectorFileFormatException(file, "metadata '" + key + "' is not " + what);
        }
        return type.cast(v);
    }

    /**
     * The tensor's values widened to float32, in ggml order ({@code dims[0]} fastest, which is row-major order of
     * the reversed dimensions).
     *
     * @throws VectorFileFormatException when the tensor has more values than a Java array holds
     */
    public float[] floats(GgufTensorInfo t) throws IOException {
        if (t.elementCount() > Integer.MAX_VALUE - 16) {
            throw new VectorFileFormatException(file, "tensor '" + t.name() + "' has " + t.elementCount()
                    + " values, more than a Java array holds");
        }
        int n = (int) t.elementCount();
        float[] out = new float[n];
        // Whole blocks per read, so no block straddles two reads.
        int valuesPerChunk = Math.max(1, CHUNK_BYTES / t.type().blockBytes()) * t.type().blockSize();
        ByteBuffer buf = ByteBuffer.allocate((int) t.type().byteSize(Math.min(n, valuesPerChunk)))
                .order(ByteOrder.LITTLE_ENDIAN);
        for (int done = 0; done < n; done += valuesPerChunk) {
            int k = Math.min(valuesPerChunk, n - done);
            buf.clear().limit((int) t.type().byteSize(k));
            long pos = t.offset() + t.type().byteSize(done);
            while (buf.hasRemaining()) {
                if (channel.read(buf, pos + buf.position()) < 0) {
                    throw new VectorFileFormatException(file, "tensor '" + t.name() + "' ends past the end of the "
                            + "file at byte " + (pos + buf.position()) + " (truncated while open?)");
                }
            }
            buf.flip();
            t.type().decode(buf, out, done, k);
        }
        return out;
    }

    /**
     * The tensor's bytes as stored (little-endian; Q8_0 as its blocks), for code that keeps the stored format
     * rather than widening it.
     *
     * @throws VectorFileFormatException when the tensor is larger than a Java array holds
     */
    public byte[] storedBytes(GgufTensorInfo t) throws IOException {
        if (t.byteSize() > Integer.MAX_VALUE - 16) {
            throw new VectorFileFormatException(file, "tensor '" + t.name() + "' has " + t.byteSize()
                    + " bytes, more than a Java array holds");
        }
        ByteBuffer buf = ByteBuffer.allocate((int) t.byteSize());
        while (buf.hasRemaining()) {
            if (channel.read(buf, t.offset() + buf.position()) < 0) {
                throw new VectorFileFormatException(file, "tensor '" + t.name() + "' ends past the end of the file at"
                        + " byte " + (t.offset() + buf.position()) + " (truncated while open?)");
            }
        }
        return buf.array();
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
