package io.steer4j.core.format.gguf;

import io.steer4j.core.format.VectorFileFormatException;
import io.steer4j.core.format.safetensors.FloatDecoding;

import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parses a little-endian GGUF file (versions 2 and 3, which share a layout): a control vector (F32 or F16 tensors,
 * read whole by {@link #read}) or the header of a model file ({@link #readHeader}, any {@link GgmlType}; the
 * tensors are read later, one at a time, by {@link GgufModelFile}).
 *
 * <p>Layout: magic {@code "GGUF"}; u32 version; u64 tensor count; u64 metadata count; metadata entries (string
 * key, u32 value type, value; strings are a u64 byte length plus UTF-8 bytes, arrays a u32 element type, a u64
 * count and the elements); tensor infos (string name, u32 n_dims, n_dims × u64 dims, u32 ggml type, u64 offset
 * relative to the data section); zero padding to the alignment ({@code general.alignment}, default 32); data.
 *
 * <p>Every count and length is checked against the bytes left before anything is allocated, so a lying header
 * yields a {@link VectorFileFormatException}, never a huge allocation or a long loop.
 *
 * <p>The file is memory-mapped, not read whole: only the header and the bytes the tensors occupy are touched, so a
 * sparse or padded file (2.1 GB long, one 64-float tensor, zeros after it) costs what its tensors hold, not its
 * length. Metadata is bounded too: at most {@link #MAX_METADATA_ENTRIES} entries, {@link #MAX_TENSORS} tensors and
 * {@link #MAX_ARRAY_ELEMENTS} array elements in all (a control vector has a handful of scalars and no arrays; a
 * 50 MB INT16 array used to cost 1.4 GB of boxed values).
 */
final class GgufReader {
    static final int DEFAULT_ALIGNMENT = 32;
    static final int GGML_TYPE_F32 = 0;
    static final int GGML_TYPE_F16 = 1;
    /** ggml's {@code GGML_MAX_DIMS}. */
    static final int MAX_DIMS = 4;
    /** Arrays of arrays deeper than this are refused, which bounds recursion on crafted input. */
    private static final int MAX_ARRAY_DEPTH = 8;
    /** A single mapping holds the file; control vectors are a few MB, so refuse anything this large. */
    static final long MAX_FILE_BYTES = Integer.MAX_VALUE - 64;
    /** Metadata entries accepted (llama.cpp's control vectors write three). */
    static final int MAX_METADATA_ENTRIES = 65_536;
    /** Tensors accepted: one per layer, and no model has this many layers. */
    static final int MAX_TENSORS = 65_536;
    /** Array elements accepted across all metadata values (control vectors have none). */
    static final int MAX_ARRAY_ELEMENTS = 1 << 20;
    /** Longest name or key quoted in a message: the rest of a crafted name is not repeated back. */
    private static final int MAX_QUOTED_CHARS = 64;

    /**
     * What one kind of GGUF file may hold before it is refused as crafted or corrupt.
     *
     * @param what             the kind of file, as messages name it
     * @param maxTensors       tensors accepted
     * @param maxArrayElements array elements accepted across all metadata values
     * @param anyType          whether every {@link GgmlType} is read (models), or only F32 and F16 (control vectors)
     */
    record Limits(String what, int maxTensors, long maxArrayElements, boolean anyType) {
    }

    static final Limits CONTROL_VECTOR = new Limits("a control vector", MAX_TENSORS, MAX_ARRAY_ELEMENTS, false);

    /** The parsed header: metadata, tensor infos (offsets absolute in the file) and where the data starts. */
    record Header(int version, Map<String, Object> metadata, List<GgufTensorInfo> tensors, long dataStart) {
    }

    private final Path file;
    private final ByteBuffer buf;
    /** Length of the whole file; {@link #buf} may map only its first part (a model's header). */
    private final long fileSize;
    private final Limits limits;
    private long arrayElements;

    private GgufReader(Path file, ByteBuffer buf, long fileSize, Limits limits) {
        this.file = file;
        this.buf = buf;
        this.fileSize = fileSize;
        this.limits = limits;
    }

    static GgufFile read(Path file) throws IOException {
        long size = Files.size(file);
        if (size > MAX_FILE_BYTES) {
            throw new VectorFileFormatException(file, "file of " + size + " bytes is too large for a control vector");
        }
        ByteBuffer mapped;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            // Mapped, not read: pages are touched only where the header and the tensors lie.
            mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
        }
        return parse(file, mapped);
    }

    static GgufFile parse(Path file, byte[] bytes) throws VectorFileFormatException {
        return parse(file, ByteBuffer.wrap(bytes));
    }

    private static GgufFile parse(Path file, ByteBuffer bytes) throws VectorFileFormatException {
        GgufReader r = new GgufReader(file, bytes.order(ByteOrder.LITTLE_ENDIAN), bytes.capacity(), CONTROL_VECTOR);
        try {
            return r.readTensors(r.parseHeader());
        } catch (BufferUnderflowException e) {
            // Every read is bounds-checked first; this is a safety net so a missed check still reports the file.
            throw r.error("unexpected end of file", e);
        }
    }

    /**
     * Parses the header of a file of {@code fileSize} bytes whose first bytes {@code head} holds (the metadata and
     * tensor infos must lie within it), checking every tensor's place against the whole file.
     */
    static Header readHeader(Path file, ByteBuffer head, long fileSize, Limits limits)
            throws VectorFileFormatException {
        GgufReader r = new GgufReader(file, head.order(ByteOrder.LITTLE_ENDIAN), fileSize, limits);
        try {
            return r.parseHeader();
        } catch (BufferUnderflowException e) {
            throw r.error("unexpected end of the header", e);
        }
    }

    private Header parseHeader() throws VectorFileFormatException {
        if (buf.remaining() < 4 || buf.get(0) != 'G' || buf.get(1) != 'G' || buf.get(2) != 'U' || buf.get(3) != 'F') {
            throw error("not a GGUF file (bad magic; expected \"GGUF\")");
        }
        buf.position(4);
        require(4, "version");
        int version = buf.getInt();
        if (version != 2 && version != 3) {
            throw error("unsupported GGUF version " + Integer.toUnsignedString(version) + " (supported: 2, 3)");
        }
        require(16, "tensor and metadata counts");
        long tensorCount = buf.getLong();
        long kvCount = buf.getLong();
        // The smallest metadata entry is 13 bytes (empty key, type, one-byte value); the smallest tensor info 24.
        checkCount(kvCount, 13, "metadata entry count");
        if (kvCount > MAX_METADATA_ENTRIES) {
            throw error("metadata entry count " + kvCount + " is more than the " + MAX_METADATA_ENTRIES
                    + " steer4j reads in " + limits.what() + " (crafted or corrupt file?)");
        }
        Map<String, Object> metadata = new LinkedHashMap<>();
        for (long k = 0; k < kvCount; k++) {
            String key = readString("metadata key " + k);
            GgufValueType type = readType("value type of " + quoted(key));
            Object value = readValue(type, key, 0);
            if (metadata.put(key, value) != null) {
                throw error("duplicate metadata key " + quoted(key));
            }
        }
        int alignment = alignment(metadata);
        checkCount(tensorCount, 24, "tensor count");
        if (tensorCount > limits.maxTensors()) {
            throw error("tensor count " + tensorCount + " is more than the " + limits.maxTensors()
                    + " steer4j reads in " + limits.what() + " (crafted or corrupt file?)");
        }
        List<String> names = new ArrayList<>();
        List<long[]> dims = new ArrayList<>();
        List<GgmlType> types = new ArrayList<>();
        List<Long> offsets = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (long t = 0; t < tensorCount; t++) {
            String name = readString("tensor name " + t);
            if (!seen.add(name)) {
                throw error("duplicate tensor name " + quoted(name));
            }
            require(4, "n_dims of tensor " + quoted(name));
            int nDims = buf.getInt();
            if (nDims < 1 || nDims > MAX_DIMS) {
                throw error("tensor " + quoted(name) + " has n_dims " + Integer.toUnsignedString(nDims)
                        + " (must be 1.." + MAX_DIMS + ")");
            }
            require(8L * nDims + 12, "dims, type and offset of tensor " + quoted(name));
            long[] d = new long[nDims];
            for (int i = 0; i < nDims; i++) {
                d[i] = buf.getLong();
                if (d[i] < 0 || d[i] > fileSize) {
                    throw error("tensor " + quoted(name) + " has impossible dimension " + Long.toUnsignedString(d[i]));
                }
            }
            int code = buf.getInt();
            GgmlType type = GgmlType.fromCode(code & 0xFFFFFFFFL);
            if (!limits.anyType() && type != GgmlType.F32 && type != GgmlType.F16) {
                throw error("tensor " + quoted(name) + " has ggml type " + Integer.toUnsignedString(code)
                        + "; control vectors must be F32 (0) or F16 (1)");
            }
            if (type == null) {
                throw error("tensor " + quoted(name) + " has ggml type " + GgmlType.nameOf(code & 0xFFFFFFFFL)
                        + " (" + Integer.toUnsignedString(code) + "); steer4j reads F32, F16, BF16 and Q8_0 tensors");
            }
            if (d[0] % type.blockSize() != 0) {
                throw error("tensor " + quoted(name) + " of type " + type + " has rows of " + d[0]
                        + " values, not a multiple of its block size " + type.blockSize());
            }
            names.add(name);
            dims.add(d);
            types.add(type);
            offsets.add(buf.getLong());
        }
        long dataStart = alignUp(buf.position(), alignment);
        if (!names.isEmpty() && dataStart > fileSize) {
            throw error("file ends before the data section (at byte " + dataStart + ")");
        }
        long dataSize = fileSize - dataStart;
        // Every tensor is placed and sized before anything is allocated. As in ggml's reader, each offset must be
        // the aligned end of the previous tensor: tensors then cannot overlap, so the floats allocated below add
        // up to at most twice the data section (F16 widened), however many tensors the header lists.
        List<GgufTensorInfo> infos = new ArrayList<>();
        long expectedOffset = 0;
        for (int t = 0; t < names.size(); t++) {
            String name = names.get(t);
            long count = 1;
            for (long d : dims.get(t)) {
                count *= d; // each d <= file size, at most 4 dims: checked against the data size below
                if (count > dataSize) {
                    break;
                }
            }
            GgmlType type = types.get(t);
            long offset = offsets.get(t);
            if (offset < 0 || offset % alignment != 0) {
                throw error("tensor " + quoted(name) + " has offset " + Long.toUnsignedString(offset)
                        + ", not a multiple of the alignment " + alignment);
            }
            if (offset != expectedOffset) {
                throw error("tensor " + quoted(name) + " has offset " + offset + " but the previous tensors end at "
                        + expectedOffset + " (GGUF tensors must follow each other without gaps or overlap)");
            }
            if (count > dataSize || offset > dataSize || type.byteSize(count) > dataSize - offset) {
                throw error("tensor " + quoted(name) + " data (offset " + offset + ", " + count + " elements) extends past"
                        + " the end of the file (data section is " + dataSize + " bytes; truncated?)");
            }
            infos.add(new GgufTensorInfo(name, dims.get(t), type, dataStart + offset, count));
            expectedOffset = alignUp(offset + type.byteSize(count), alignment);
        }
        return new Header(version, metadata, infos, dataStart);
    }

    /** A control vector's tensors, widened to float32 (F32 or F16 only, checked by the header's limits). */
    private GgufFile readTensors(Header h) {
        List<GgufTensor> tensors = new ArrayList<>();
        for (GgufTensorInfo t : h.tensors()) {
            ByteBuffer slice = buf.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            slice.position((int) t.offset());
            float[] values = new float[(int) t.elementCount()];
            if (t.type() == GgmlType.F32) {
                slice.asFloatBuffer().get(values);
            } else {
                for (int i = 0; i < values.length; i++) {
                    values[i] = FloatDecoding.halfToFloat(slice.getShort());
                }
            }
            tensors.add(new GgufTensor(t.name(), t.dims(), values));
        }
        return new GgufFile(h.version(), h.metadata(), tensors);
    }

    private int alignment(Map<String, Object> metadata) throws VectorFileFormatException {
        Object a = metadata.get("general.alignment");
        if (a == null) {
            return DEFAULT_ALIGNMENT;
        }
        if (!(a instanceof Long v) || v <= 0 || v > (1 << 20) || Long.bitCount(v) != 1) {
            throw error("general.alignment must be a power-of-two integer of at most 2^20, got "
                    + (a instanceof Long || a instanceof Double || a instanceof Boolean ? a : "a "
                    + (a instanceof String ? "string" : "list")));
        }
        return (int) (long) v;
    }

    private Object readValue(GgufValueType type, String key, int depth) throws VectorFileFormatException {
        switch (type) {
            case STRING:
                return readString(() -> "value of " + quoted(key));
            case ARRAY: {
                if (depth >= MAX_ARRAY_DEPTH) {
                    throw error("metadata " + quoted(key) + " nests arrays deeper than " + MAX_ARRAY_DEPTH);
                }
                GgufValueType elementType = readType("array element type of " + quoted(key));
                require(8, "array length of " + quoted(key));
                long count = buf.getLong();
                checkCount(count, elementType.minSize(), "array length of " + quoted(key));
                arrayElements += count;
                if (arrayElements > limits.maxArrayElements()) {
                    throw error("metadata " + quoted(key) + " brings the array elements to " + arrayElements
                            + ", more than the " + limits.maxArrayElements() + " steer4j reads in " + limits.what()
                            + "'s metadata (crafted or corrupt file?)");
                }
                List<Object> list = new ArrayList<>((int) Math.min(count, 1024));
                for (long i = 0; i < count; i++) {
                    list.add(readValue(elementType, key, depth + 1));
                }
                return list;
            }
            default:
                if (buf.remaining() < type.size) {
                    throw error("unexpected end of file reading value of " + quoted(key) + " at byte "
                            + buf.position());
                }
                return switch (type) {
                    case UINT8 -> (long) (buf.get() & 0xFF);
                    case INT8 -> (long) buf.get();
                    case UINT16 -> (long) (buf.getShort() & 0xFFFF);
                    case INT16 -> (long) buf.getShort();
                    case UINT32 -> buf.getInt() & 0xFFFFFFFFL;
                    case INT32 -> (long) buf.getInt();
                    case UINT64, INT64 -> buf.getLong();
                    case FLOAT32 -> (double) buf.getFloat();
                    case FLOAT64 -> buf.getDouble();
                    case BOOL -> buf.get() != 0;
                    default -> throw new IllegalStateException(type.name());
                };
        }
    }

    private GgufValueType readType(String what) throws VectorFileFormatException {
        require(4, what);
        int code = buf.getInt();
        GgufValueType t = GgufValueType.fromCode(code & 0xFFFFFFFFL);
        if (t == null) {
            throw error("unknown GGUF value type " + Integer.toUnsignedString(code) + " for " + what);
        }
        return t;
    }

    private String readString(String what) throws VectorFileFormatException {
        return readString(() -> what);
    }

    /** Reads a string; {@code what} is only built for a message, not for each of a million array elements. */
    private String readString(java.util.function.Supplier<String> what) throws VectorFileFormatException {
        if (buf.remaining() < 8) {
            throw error("unexpected end of file reading length of " + what.get() + " at byte " + buf.position());
        }
        long len = buf.getLong();
        if (len < 0 || len > buf.remaining()) {
            throw error(what.get() + " claims " + Long.toUnsignedString(len) + " bytes but only " + buf.remaining()
                    + " remain (truncated or corrupt)");
        }
        byte[] b = new byte[(int) len];
        buf.get(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    /** Rejects a count that could not fit in the rest of the file at {@code minBytesEach} bytes per item. */
    private void checkCount(long count, int minBytesEach, String what) throws VectorFileFormatException {
        if (count < 0 || count > buf.remaining() / Math.max(1, minBytesEach)) {
            throw error(what + " " + Long.toUnsignedString(count) + " is impossible with " + buf.remaining()
                    + " bytes left (truncated or corrupt)");
        }
    }

    private void require(long bytes, String what) throws VectorFileFormatException {
        if (buf.remaining() < bytes) {
            throw error("unexpected end of file reading " + what + " at byte " + buf.position());
        }
    }

    static long alignUp(long position, int alignment) {
        return (position + alignment - 1) / alignment * alignment;
    }

    /** A name from the file as a message may show it: printable, and cut at {@link #MAX_QUOTED_CHARS}. */
    private static String quoted(String name) {
        StringBuilder b = new StringBuilder("'");
        int n = Math.min(name.length(), MAX_QUOTED_CHARS);
        for (int i = 0; i < n; i++) {
            char c = name.charAt(i);
            b.append(c < 0x20 || c == 0x7f ? '?' : c);
        }
        b.append('\'');
        if (name.length() > n) {
            b.append(" (").append(name.length()).append(" characters, cut)");
        }
        return b.toString();
    }

    private VectorFileFormatException error(String problem) {
        return new VectorFileFormatException(file, problem);
    }

    private VectorFileFormatException error(String problem, Throwable cause) {
        return new VectorFileFormatException(file, problem, cause);
    }
}
