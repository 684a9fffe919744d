package io.steer4j.core.format.safetensors;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steer4j.core.format.JsonFailure;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The parsed and validated header of a safetensors file: tensor names, types, shapes and absolute data offsets.
 *
 * <p>Reading the header touches only its first bytes, so a multi-gigabyte checkpoint can then be memory-mapped
 * tensor by tensor. Every offset is checked against the file size before it is returned, so a lying header
 * fails here with a {@link SafetensorsFormatException} instead of causing a huge allocation later.
 *
 * <pre>{@code
 * try (FileChannel ch = FileChannel.open(path)) {
 *     SafetensorsHeader h = SafetensorsHeader.read(ch, path);
 *     SafetensorsTensorInfo wte = h.tensor("wte.weight").orElseThrow();
 * }
 * }</pre>
 */
public final class SafetensorsHeader {
    /** Headers larger than this are refused (the format's reference implementation uses the same bound). */
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;
    /**
     * Headers listing more tensors than this are refused. The largest published checkpoints hold a few thousand
     * tensors per file; a header of 100 MB could otherwise list 1.7 million and cost gigabytes to index.
     */
    public static final int MAX_TENSORS = 65_536;
    /**
     * {@code __metadata__} entries accepted. Checkpoints write one ({@code "format": "pt"}), steer4j's vector files a
     * few dozen; a 77 MB map of 6 million keys used to cost 2.4 GB as a JSON tree.
     */
    public static final int MAX_METADATA_ENTRIES = 4096;
    /** Characters accepted across all {@code __metadata__} keys and values (16 Mi). */
    public static final int MAX_METADATA_CHARS = 16 << 20;
    /**
     * Dimensions accepted in a shape. PyTorch's own limit is 64 ({@code MAX_DIMS} in its TensorIterator); a
     * 30-million-dimension shape used to be read whole and printed back as a 90 MB error message.
     */
    public static final int MAX_DIMS = 64;
    /** Longest tensor name or key quoted in a message. */
    private static final int MAX_QUOTED_CHARS = 64;

    /**
     * Tensor names are not interned or canonicalised: a crafted header could otherwise fill the parser's symbol
     * table with a million distinct names.
     */
    private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
            .disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES)
            .build());

    private final Map<String, String> metadata;
    private final List<SafetensorsTensorInfo> tensors;
    private final Map<String, SafetensorsTensorInfo> byName;
    private final long dataStart;

    private SafetensorsHeader(Map<String, String> metadata, List<SafetensorsTensorInfo> tensors, long dataStart) {
        this.metadata = Collections.unmodifiableMap(metadata);
        this.tensors = List.copyOf(tensors);
        Map<String, SafetensorsTensorInfo> m = new LinkedHashMap<>();
        tensors.forEach(t -> m.put(t.name(), t));
        this.byName = Collections.unmodifiableMap(m);
        this.dataStart = dataStart;
    }

    /** Reads the header of the file at {@code path}. */
    public static SafetensorsHeader read(Path path) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            return read(ch, path);
        }
    }

    /**
     * Reads and validates the header from an open channel.
     *
     * @param path used in error messages only
     */
    public static SafetensorsHeader read(FileChannel ch, Path path) throws IOException {
        long size = ch.size();
        if (size < 8) {
            throw new SafetensorsFormatException(path, "file is " + size + " bytes, too short for a safetensors header");
        }
        ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, lenBuf, 0, path);
        long headerLen = lenBuf.flip().getLong();
        if (headerLen < 2 || headerLen > MAX_HEADER_BYTES || headerLen > size - 8) {
            throw new SafetensorsFormatException(path, "header length " + Long.toUnsignedString(headerLen)
                    + " is impossible for a file of " + size + " bytes (truncated or not a safetensors file)");
        }
        ByteBuffer headerBuf = ByteBuffer.allocate((int) headerLen);
        readFully(ch, headerBuf, 8, path);
        long dataStart = 8 + headerLen;
        long dataSize = size - dataStart;
        Map<String, String> metadata = new LinkedHashMap<>();
        List<SafetensorsTensorInfo> tensors = new ArrayList<>();
        // Streamed entry by entry straight from the bytes: only one tensor's entry is ever a JSON tree, so memory
        // follows the tensor infos kept, not a document tree several times the header's size.
        try (JsonParser p = JSON.createParser(headerBuf.array())) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new SafetensorsFormatException(path, "header is not a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                p.nextToken();
                if (key.equals("__metadata__")) {
                    readMetadata(p, metadata, path);
                } else {
                    if (tensors.size() == MAX_TENSORS) {
                        throw new SafetensorsFormatException(path, "header lists more than " + MAX_TENSORS
                                + " tensors; no real checkpoint file holds that many (crafted or corrupt file?)");
                    }
                    tensors.add(readTensor(key, p, dataStart, dataSize, path));
                }
            }
            if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
                throw new SafetensorsFormatException(path, "header has content after its JSON object");
            }
        } catch (JsonProcessingException e) {
            // No cause attached: Jackson's message quotes the bytes it choked on.
            throw new SafetensorsFormatException(path, "header is " + JsonFailure.describe(e));
        } catch (java.io.CharConversionException e) {
            // Jackson guessed UTF-16/32 from zero bytes: the format requires UTF-8, and the message quotes bytes.
            throw new SafetensorsFormatException(path, "header is not UTF-8 JSON text");
        }
        checkNoOverlap(tensors, path);
        return new SafetensorsHeader(metadata, tensors, dataStart);
    }

    /** Streams {@code __metadata__} (the parser is on its value), within the entry and character caps. */
    private static void readMetadata(JsonParser p, Map<String, String> out, Path path) throws IOException {
        if (p.currentToken() != JsonToken.START_OBJECT) {
            throw new SafetensorsFormatException(path, "__metadata__ must be an object of strings");
        }
        long chars = 0;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            if (p.nextToken() != JsonToken.VALUE_STRING) {
                throw new SafetensorsFormatException(path, "__metadata__ entry " + quoted(key) + " must be a string");
            }
            String value = p.getText();
            chars += key.length() + value.length();
            if (out.size() == MAX_METADATA_ENTRIES || chars > MAX_METADATA_CHARS) {
                throw new SafetensorsFormatException(path, "__metadata__ holds more than " + MAX_METADATA_ENTRIES
                        + " entries or " + MAX_METADATA_CHARS + " characters (crafted or corrupt file?)");
            }
            out.put(key, value);
        }
    }

    /** A name from the file as a message may show it: printable, and cut at {@link #MAX_QUOTED_CHARS}. */
    static String quoted(String name) {
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

    /**
     * Reads one tensor entry token by token (the parser is on its START_OBJECT): {@code dtype}, {@code shape} and
     * {@code data_offsets}, other keys skipped. No tree is built, so a header costs little beyond what it keeps.
     */
    private static SafetensorsTensorInfo readTensor(String name, JsonParser p, long dataStart, long dataSize,
                                                    Path path) throws IOException {
        if (p.currentToken() != JsonToken.START_OBJECT) {
            p.skipChildren();
            throw new SafetensorsFormatException(path, "tensor " + quoted(name) + " entry is not an object");
        }
        String dtypeText = null;
        long[] shape = null;
        long[] offsets = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken t = p.nextToken();
            switch (field) {
                case "dtype" -> dtypeText = t == JsonToken.VALUE_STRING ? p.getText() : null;
                case "shape" -> shape = readLongs(p, name, MAX_DIMS, "shape", path);
                case "data_offsets" -> offsets = readLongs(p, name, 2, "data_offsets", path);
                default -> p.skipChildren();
            }
        }
        if (dtypeText == null || shape == null || offsets == null || offsets.length != 2) {
            throw new SafetensorsFormatException(path,
                    "tensor " + quoted(name) + " needs dtype (string), shape (array) and data_offsets ([begin, end])");
        }
        SafetensorsDtype dtype;
        try {
            dtype = SafetensorsDtype.parse(dtypeText);
        } catch (IllegalArgumentException e) {
            throw new SafetensorsFormatException(path, "tensor " + quoted(name) + " has an unknown dtype "
                    + quoted(dtypeText), e);
        }
        long count = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new SafetensorsFormatException(path, "tensor " + quoted(name) + " has an invalid dimension " + d);
            }
            try {
                count = Math.multiplyExact(count, d);
            } catch (ArithmeticException e) {
                throw new SafetensorsFormatException(path, "tensor " + quoted(name) + " shape overflows");
            }
        }
        long begin = offsets[0];
        long end = offsets[1];
        if (begin < 0 || end < begin || end > dataSize) {
            throw new SafetensorsFormatException(path, "tensor " + quoted(name) + " data_offsets [" + begin + ", " + end
                    + "] lie outside the data section of " + dataSize + " bytes (file truncated?)");
        }
        long expected;
        try {
            expected = Math.multiplyExact(count, (long) dtype.byteSize());
        } catch (ArithmeticException ex) {
            throw new SafetensorsFormatException(path, "tensor " + quoted(name) + " byte size overflows");
        }
        if (end - begin != expected) {
            throw new SafetensorsFormatException(path, "tensor " + quoted(name) + " holds " + (end - begin)
                    + " bytes but " + dtype + " " + java.util.Arrays.toString(shape) + " needs " + expected);
        }
        return new SafetensorsTensorInfo(name, dtype, shape, dataStart + begin, end - begin);
    }

    /** An array of integers (the parser is on its START_ARRAY), or null when the value is not an array. */
    private static long[] readLongs(JsonParser p, String name, int max, String field, Path path)
            throws IOException {
        if (p.currentToken() != JsonToken.START_ARRAY) {
            p.skipChildren();
            return null;
        }
        long[] values = new long[4];
        int n = 0;
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t != JsonToken.VALUE_NUMBER_INT || p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
                throw new SafetensorsFormatException(path, "tensor " + quoted(name) + " has a non-integer value"
                        + " in its " + field);
            }
            if (n == max) {
                throw new SafetensorsFormatException(path, "tensor " + quoted(name) + " has more than " + max
                        + " values in its " + field);
            }
            if (n == values.length) {
                values = java.util.Arrays.copyOf(values, n * 2);
            }
            values[n++] = p.getLongValue();
        }
        return java.util.Arrays.copyOf(values, n);
    }

    private static void checkNoOverlap(List<SafetensorsTensorInfo> tensors, Path path) throws IOException {
        List<SafetensorsTensorInfo> sorted = new ArrayList<>(tensors);
        sorted.sort(Comparator.comparingLong(SafetensorsTensorInfo::dataOffset));
        for (int i = 1; i < sorted.size(); i++) {
            SafetensorsTensorInfo prev = sorted.get(i - 1);
            SafetensorsTensorInfo cur = sorted.get(i);
            if (prev.dataOffset() + prev.byteLength() > cur.dataOffset()) {
                throw new SafetensorsFormatException(path,
                        "tensors " + quoted(prev.name()) + " and " + quoted(cur.name()) + " overlap");
            }
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position, Path path) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos);
            if (n < 0) {
                throw new SafetensorsFormatException(path, "unexpected end of file at byte " + pos);
            }
            pos += n;
        }
    }

    /** The free-form string metadata ({@code __metadata__}), empty when absent. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** All tensors in header order. */
    public List<SafetensorsTensorInfo> tensors() {
        return tensors;
    }

    /** The tensor with this name, if present. */
    public Optional<SafetensorsTensorInfo> tensor(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** Absolute byte offset where the data section starts. */
    public long dataStart() {
        return dataStart;
    }

    /**
     * Reads a tensor's elements as floats, widening F16 and BF16 exactly.
     *
     * @throws SafetensorsFormatException if the tensor is not a floating-point type
     */
    public float[] readFloats(FileChannel ch, SafetensorsTensorInfo t, Path path) throws IOException {
        if (t.elementCount() > Integer.MAX_VALUE - 8) {
            throw new SafetensorsFormatException(path, "tensor " + quoted(t.name()) + " is too large for a Java array");
        }
        ByteBuffer buf = ByteBuffer.allocate((int) t.byteLength()).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, buf, t.dataOffset(), path);
        buf.flip();
        return FloatDecoding.toFloats(buf, t.dtype(), (int) t.elementCount(), t.name(), path);
    }
}
