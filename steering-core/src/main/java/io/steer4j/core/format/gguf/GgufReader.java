package io.steer4j.core.format.gguf;

import io.steer4j.core.format.VectorFileFormatException;
import io.steer4j.core.format.safetensors.FloatDecoding;

import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parses a little-endian GGUF file (versions 2 and 3, which share a layout) holding F32 or F16 tensors.
 *
 * <p>Layout: magic {@code "GGUF"}; u32 version; u64 tensor count; u64 metadata count; metadata entries (string
 * key, u32 value type, value; strings are a u64 byte length plus UTF-8 bytes, arrays a u32 element type, a u64
 * count and the elements); tensor infos (string name, u32 n_dims, n_dims × u64 dims, u32 ggml type, u64 offset
 * relative to the data section); zero padding to the alignment ({@code general.alignment}, default 32); data.
 *
 * <p>Every count and length is checked against the bytes left before anything is allocated, so a lying header
 * yields a {@link VectorFileFormatException}, never a huge allocation or a long loop.
 */
final class GgufReader {
    static final int DEFAULT_ALIGNMENT = 32;
    static final int GGML_TYPE_F32 = 0;
    static final int GGML_TYPE_F16 = 1;
    /** ggml's {@code GGML_MAX_DIMS}. */
    static final int MAX_DIMS = 4;
    /** Arrays of arrays deeper than this are refused, which bounds recursion on crafted input. */
    private static final int MAX_ARRAY_DEPTH = 8;
    /** Whole file is read into memory; control vectors are a few MB, so refuse anything this large. */
    static final long MAX_FILE_BYTES = Integer.MAX_VALUE - 64;

    private final Path file;
    private final ByteBuffer buf;

    private GgufReader(Path file, ByteBuffer buf) {
        this.file = file;
        this.buf = buf;
    }

    static GgufFile read(Path file) throws IOException {
        long size = Files.size(file);
        if (size > MAX_FILE_BYTES) {
            throw new VectorFileFormatException(file, "file of " + size + " bytes is too large for a control vector");
        }
        byte[] bytes = Files.readAllBytes(file);
        return parse(file, bytes);
    }

    static GgufFile parse(Path file, byte[] bytes) throws VectorFileFormatException {
        GgufReader r = new GgufReader(file, ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN));
        try {
            return r.parse();
        } catch (BufferUnderflowException e) {
            // Every read is bounds-checked first; this is a safety net so a missed check still reports the file.
            throw r.error("unexpected end of file", e);
        }
    }

    private GgufFile parse() throws VectorFileFormatException {
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
        Map<String, Object> metadata = new LinkedHashMap<>();
        for (long k = 0; k < kvCount; k++) {
            String key = readString("metadata key " + k);
            GgufValueType type = readType("value type of '" + key + "'");
            Object value = readValue(type, key, 0);
            if (metadata.put(key, value) != null) {
                throw error("duplicate metadata key '" + key + "'");
            }
        }
        int alignment = alignment(metadata);
        checkCount(tensorCount, 24, "tensor count");
        List<String> names = new ArrayList<>();
        List<long[]> dims = new ArrayList<>();
        List<Integer> types = new ArrayList<>();
        List<Long> offsets = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (long t = 0; t < tensorCount; t++) {
            String name = readString("tensor name " + t);
            if (!seen.add(name)) {
                throw error("duplicate tensor name '" + name + "'");
            }
            require(4, "n_dims of tensor '" + name + "'");
            int nDims = buf.getInt();
            if (nDims < 1 || nDims > MAX_DIMS) {
                throw error("tensor '" + name + "' has n_dims " + Integer.toUnsignedString(nDims)
                        + " (must be 1.." + MAX_DIMS + ")");
            }
            require(8L * nDims + 12, "dims, type and offset of tensor '" + name + "'");
            long[] d = new long[nDims];
            for (int i = 0; i < nDims; i++) {
                d[i] = buf.getLong();
                if (d[i] < 0 || d[i] > buf.capacity()) {
                    throw error("tensor '" + name + "' has impossible dimension " + Long.toUnsignedString(d[i]));
                }
            }
            int type = buf.getInt();
            if (type != GGML_TYPE_F32 && type != GGML_TYPE_F16) {
                throw error("tensor '" + name + "' has ggml type " + Integer.toUnsignedString(type)
                        + "; control vectors must be F32 (0) or F16 (1)");
            }
            names.add(name);
            dims.add(d);
            types.add(type);
            offsets.add(buf.getLong());
        }
        long dataStart = alignUp(buf.position(), alignment);
        if (!names.isEmpty() && dataStart > buf.capacity()) {
            throw error("file ends before the data section (at byte " + dataStart + ")");
        }
        long dataSize = buf.capacity() - dataStart;
        // Every tensor is placed and sized before anything is allocated. As in ggml's reader, each offset must be
        // the aligned end of the previous tensor: tensors then cannot overlap, so the floats allocated below add
        // up to at most twice the data section (F16 widened), however many tensors the header lists.
        long[] counts = new long[names.size()];
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
            int elementSize = types.get(t) == GGML_TYPE_F32 ? 4 : 2;
            long offset = offsets.get(t);
            if (offset < 0 || offset % alignment != 0) {
                throw error("tensor '" + name + "' has offset " + Long.toUnsignedString(offset)
                        + ", not a multiple of the alignment " + alignment);
            }
            if (offset != expectedOffset) {
                throw error("tensor '" + name + "' has offset " + offset + " but the previous tensors end at "
                        + expectedOffset + " (GGUF tensors must follow each other without gaps or overlap)");
            }
            if (count > dataSize || offset > dataSize || count * elementSize > dataSize - offset) {
                throw error("tensor '" + name + "' data (offset " + offset + ", " + count + " elements) extends past"
                        + " the end of the file (data section is " + dataSize + " bytes; truncated?)");
            }
            counts[t] = count;
            expectedOffset = alignUp(offset + count * elementSize, alignment);
        }
        List<GgufTensor> tensors = new ArrayList<>();
        for (int t = 0; t < names.size(); t++) {
            String name = names.get(t);
            long count = counts[t];
            int elementSize = types.get(t) == GGML_TYPE_F32 ? 4 : 2;
            long offset = offsets.get(t);
            ByteBuffer slice = buf.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            slice.position((int) (dataStart + offset));
            float[] values = new float[(int) count];
            if (elementSize == 4) {
                slice.asFloatBuffer().get(values);
            } else {
                for (int i = 0; i < values.length; i++) {
                    values[i] = FloatDecoding.halfToFloat(slice.getShort());
                }
            }
            tensors.add(new GgufTensor(name, dims.get(t), values));
        }
        return new GgufFile(version, metadata, tensors);
    }

    private int alignment(Map<String, Object> metadata) throws VectorFileFormatException {
        Object a = metadata.get("general.alignment");
        if (a == null) {
            return DEFAULT_ALIGNMENT;
        }
        if (!(a instanceof Long v) || v <= 0 || v > (1 << 20) || Long.bitCount(v) != 1) {
            throw error("general.alignment must be a power-of-two integer, got " + a);
        }
        return (int) (long) v;
    }

    private Object readValue(GgufValueType type, String key, int depth) throws VectorFileFormatException {
        switch (type) {
            case STRING:
                return readString("value of '" + key + "'");
            case ARRAY: {
                if (depth >= MAX_ARRAY_DEPTH) {
                    throw error("metadata '" + key + "' nests arrays deeper than " + MAX_ARRAY_DEPTH);
                }
                GgufValueType elementType = readType("array element type of '" + key + "'");
                require(8, "array length of '" + key + "'");
                long count = buf.getLong();
                checkCount(count, elementType.minSize(), "array length of '" + key + "'");
                List<Object> list = new ArrayList<>((int) Math.min(count, 1024));
                for (long i = 0; i < count; i++) {
                    list.add(readValue(elementType, key, depth + 1));
                }
                return list;
            }
            default:
                require(type.size, "value of '" + key + "'");
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
        require(8, "length of " + what);
        long len = buf.getLong();
        if (len < 0 || len > buf.remaining()) {
            throw error(what + " claims " + Long.toUnsignedString(len) + " bytes but only " + buf.remaining()
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

    private VectorFileFormatException error(String problem) {
        return new VectorFileFormatException(file, problem);
    }

    private VectorFileFormatException error(String problem, Throwable cause) {
        return new VectorFileFormatException(file, problem, cause);
    }
}
