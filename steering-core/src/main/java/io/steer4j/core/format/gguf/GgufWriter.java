package io.steer4j.core.format.gguf;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Serialises a GGUF v3 file with string and uint32 metadata and 1-D F32 tensors, laid out as gguf-py's
 * {@code GGUFWriter} does: header, metadata in insertion order, tensor infos, zero padding to 32 bytes, then each
 * tensor's data padded to 32 bytes.
 */
final class GgufWriter {
    private record MetadataEntry(String key, GgufValueType type, Object value) {
    }

    private record Tensor(String name, float[] data) {
    }

    private final List<MetadataEntry> kvs = new ArrayList<>();
    private final List<Tensor> tensors = new ArrayList<>();

    GgufWriter putString(String key, String value) {
        kvs.add(new MetadataEntry(key, GgufValueType.STRING, value));
        return this;
    }

    GgufWriter putUint32(String key, long value) {
        if (value < 0 || value > 0xFFFFFFFFL) {
            throw new IllegalArgumentException(key + " = " + value + " does not fit in uint32");
        }
        kvs.add(new MetadataEntry(key, GgufValueType.UINT32, value));
        return this;
    }

    GgufWriter addF32(String name, float[] data) {
        tensors.add(new Tensor(name, data.clone()));
        return this;
    }

    byte[] toBytes() {
        Out out = new Out();
        out.bytes(new byte[] {'G', 'G', 'U', 'F'});
        out.u32(3);
        out.u64(tensors.size());
        out.u64(kvs.size());
        for (MetadataEntry kv : kvs) {
            out.string(kv.key);
            out.u32(kv.type.ordinal());
            if (kv.type == GgufValueType.STRING) {
                out.string((String) kv.value);
            } else {
                out.u32((Long) kv.value);
            }
        }
        long offset = 0;
        for (Tensor t : tensors) {
            out.string(t.name);
            out.u32(1);
            out.u64(t.data.length);
            out.u32(GgufReader.GGML_TYPE_F32);
            out.u64(offset);
            offset = GgufReader.alignUp(offset + 4L * t.data.length, GgufReader.DEFAULT_ALIGNMENT);
        }
        out.padTo(GgufReader.DEFAULT_ALIGNMENT);
        for (Tensor t : tensors) {
            ByteBuffer b = ByteBuffer.allocate(4 * t.data.length).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(t.data);
            out.bytes(b.array());
            out.padTo(GgufReader.DEFAULT_ALIGNMENT);
        }
        return out.toByteArray();
    }

    /** A little-endian byte sink. */
    private static final class Out extends ByteArrayOutputStream {
        void bytes(byte[] b) {
            write(b, 0, b.length);
        }

        void u32(long v) {
            bytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v).array());
        }

        void u64(long v) {
            bytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
        }

        void string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            bytes(b);
        }

        void padTo(int alignment) {
            while (size() % alignment != 0) {
                write(0);
            }
        }
    }
}
