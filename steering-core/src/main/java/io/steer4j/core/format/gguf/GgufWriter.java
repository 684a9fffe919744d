package io.steer4j.core.format.gguf;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds a GGUF v3 file laid out as gguf-py's {@code GGUFWriter} lays it out: header, metadata in insertion order,
 * tensor infos, zero padding to 32 bytes, then each tensor's data padded to 32 bytes. Tensors are stored as
 * {@link GgmlType} F32, F16, BF16 or Q8_0, rounded as ggml rounds (see {@link HalfFloats} and {@link Q8Blocks}),
 * and encoded when added, so a Q8_0 model is held at its stored size, not as floats.
 *
 * <pre>{@code
 * new GgufWriter()
 *     .putString("general.architecture", "llama")
 *     .addTensor("blk.0.ffn_up.weight", new long[] {172, 64}, GgmlType.Q8_0, values)
 *     .writeAtomically(Path.of("model.gguf"));
 * }</pre>
 */
public final class GgufWriter {
    private static final int ALIGN = GgufReader.DEFAULT_ALIGNMENT;

    private record MetadataEntry(String key, GgufValueType type, GgufValueType elementType, Object value) {
    }

    private record Tensor(String name, long[] ggmlDims, GgmlType type, byte[] data) {
    }

    private final List<MetadataEntry> kvs = new ArrayList<>();
    private final List<Tensor> tensors = new ArrayList<>();

    /** Adds a string value. */
    public GgufWriter putString(String key, String value) {
        return put(key, GgufValueType.STRING, null, value);
    }

    /**
     * Adds a uint32 value.
     *
     * @throws IllegalArgumentException when it does not fit
     */
    public GgufWriter putUint32(String key, long value) {
        if (value < 0 || value > 0xFFFFFFFFL) {
            throw new IllegalArgumentException(key + " = " + value + " does not fit in uint32");
        }
        return put(key, GgufValueType.UINT32, null, value);
    }

    /** Adds a float32 value. */
    public GgufWriter putFloat32(String key, float value) {
        return put(key, GgufValueType.FLOAT32, null, value);
    }

    /** Adds a bool value. */
    public GgufWriter putBool(String key, boolean value) {
        return put(key, GgufValueType.BOOL, null, value);
    }

    /** Adds an array of strings (a vocabulary, merges). */
    public GgufWriter putStrings(String key, List<String> values) {
        return put(key, GgufValueType.ARRAY, GgufValueType.STRING, List.copyOf(values));
    }

    /** Adds an array of int32 (token types). */
    public GgufWriter putInt32s(String key, int[] values) {
        return put(key, GgufValueType.ARRAY, GgufValueType.INT32, values.clone());
    }

    /** Adds an array of float32 (token scores). */
    public GgufWriter putFloat32s(String key, float[] values) {
        return put(key, GgufValueType.ARRAY, GgufValueType.FLOAT32, values.clone());
    }

    private GgufWriter put(String key, GgufValueType type, GgufValueType elementType, Object value) {
        kvs.add(new MetadataEntry(key, type, elementType, value));
        return this;
    }

    /** Adds a 1-D float32 tensor. */
    public GgufWriter addF32(String name, float[] data) {
        return addTensor(name, new long[] {data.length}, GgmlType.F32, data);
    }

    /**
     * Adds a tensor, encoded now as {@code type} stores it.
     *
     * @param shape row-major shape ({@code [rows, cols]} for a matrix; GGUF lists it reversed, {@code cols} first)
     * @throws IllegalArgumentException when the shape does not match the data, or the rows are not a whole number
     *                                  of the type's blocks
     */
    public GgufWriter addTensor(String name, long[] shape, GgmlType type, float[] data) {
        long count = 1;
        for (long d : shape) {
            count *= d;
        }
        if (shape.length == 0 || shape.length > GgufReader.MAX_DIMS || count != data.length) {
            throw new IllegalArgumentException("tensor '" + name + "' has " + data.length + " values for shape "
                    + java.util.Arrays.toString(shape));
        }
        if (shape[shape.length - 1] % type.blockSize() != 0) {
            throw new IllegalArgumentException("tensor '" + name + "' has rows of " + shape[shape.length - 1]
                    + " values; " + type + " needs a multiple of " + type.blockSize());
        }
        long[] dims = new long[shape.length];
        for (int i = 0; i < shape.length; i++) {
            dims[i] = shape[shape.length - 1 - i];
        }
        tensors.add(new Tensor(name, dims, type, type.encode(data)));
        return this;
    }

    /** The file's bytes. */
    public byte[] toBytes() {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try {
            writeTo(b);
        } catch (IOException e) {
            throw new IllegalStateException("writing to memory cannot fail", e);
        }
        return b.toByteArray();
    }

    /** Writes the file to a temporary sibling of {@code target}, then moves it into place. */
    public void writeAtomically(Path target) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
        try {
            try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
                writeTo(os);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private void writeTo(OutputStream os) throws IOException {
        Out out = new Out(os);
        out.bytes(new byte[] {'G', 'G', 'U', 'F'});
        out.u32(3);
        out.u64(tensors.size());
        out.u64(kvs.size());
        for (MetadataEntry kv : kvs) {
            out.string(kv.key);
            out.u32(kv.type.ordinal());
            value(out, kv);
        }
        long offset = 0;
        for (Tensor t : tensors) {
            out.string(t.name);
            out.u32(t.ggmlDims.length);
            for (long d : t.ggmlDims) {
                out.u64(d);
            }
            out.u32(t.type.code());
            out.u64(offset);
            offset = GgufReader.alignUp(offset + t.data.length, ALIGN);
        }
        out.pad();
        for (Tensor t : tensors) {
            out.bytes(t.data);
            out.pad();
        }
    }

    private static void value(Out out, MetadataEntry kv) throws IOException {
        switch (kv.type) {
            case STRING -> out.string((String) kv.value);
            case UINT32 -> out.u32((Long) kv.value);
            case FLOAT32 -> out.u32(Float.floatToRawIntBits((Float) kv.value));
            case BOOL -> out.bytes(new byte[] {(byte) ((Boolean) kv.value ? 1 : 0)});
            case ARRAY -> {
                out.u32(kv.elementType.ordinal());
                switch (kv.elementType) {
                    case STRING -> {
                        List<?> l = (List<?>) kv.value;
                        out.u64(l.size());
                        for (Object s : l) {
                            out.string((String) s);
                        }
                    }
                    case INT32 -> {
                        int[] a = (int[]) kv.value;
                        out.u64(a.length);
                        for (int x : a) {
                            out.u32(x);
                        }
                    }
                    case FLOAT32 -> {
                        float[] a = (float[]) kv.value;
                        out.u64(a.length);
                        for (float x : a) {
                            out.u32(Float.floatToRawIntBits(x));
                        }
                    }
                    default -> throw new IllegalStateException(kv.elementType.name());
                }
            }
            default -> throw new IllegalStateException(kv.type.name());
        }
    }

    /** A little-endian byte sink that counts what it wrote, for the alignment padding. */
    private static final class Out {
        private final OutputStream os;
        private final ByteBuffer scratch = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        private long position;

        Out(OutputStream os) {
            this.os = os;
        }

        void bytes(byte[] b) throws IOException {
            os.write(b);
            position += b.length;
        }

        void u32(long v) throws IOException {
            scratch.clear();
            scratch.putInt((int) v);
            os.write(scratch.array(), 0, 4);
            position += 4;
        }

        void u64(long v) throws IOException {
            scratch.clear();
            scratch.putLong(v);
            os.write(scratch.array(), 0, 8);
            position += 8;
        }

        void string(String s) throws IOException {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            bytes(b);
        }

        void pad() throws IOException {
            while (position % ALIGN != 0) {
                os.write(0);
                position++;
            }
        }
    }
}
