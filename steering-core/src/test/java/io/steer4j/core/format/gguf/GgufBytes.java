package io.steer4j.core.format.gguf;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Writes GGUF files byte by byte in tests, straight from the documented layout (ggml docs/gguf.md), without using
 * the production writer: little-endian; strings are a u64 length plus UTF-8 bytes.
 */
final class GgufBytes {
    static final int STRING = 8;
    static final int UINT32 = 4;
    static final int INT32 = 5;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    GgufBytes raw(byte... b) {
        out.write(b, 0, b.length);
        return this;
    }

    GgufBytes u32(long v) {
        return raw(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v).array());
    }

    GgufBytes u64(long v) {
        return raw(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
    }

    GgufBytes u16(int v) {
        return raw(ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort((short) v).array());
    }

    GgufBytes f32(float... values) {
        for (float v : values) {
            raw(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(v).array());
        }
        return this;
    }

    GgufBytes str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        u64(b.length);
        return raw(b);
    }

    /** Header: magic "GGUF", version, tensor count, kv count. */
    GgufBytes header(int version, long tensors, long kvs) {
        return raw((byte) 'G', (byte) 'G', (byte) 'U', (byte) 'F').u32(version).u64(tensors).u64(kvs);
    }

    GgufBytes kvString(String key, String value) {
        return str(key).u32(STRING).str(value);
    }

    GgufBytes kvU32(String key, long value) {
        return str(key).u32(UINT32).u32(value);
    }

    GgufBytes kvI32(String key, int value) {
        return str(key).u32(INT32).u32(value);
    }

    /** Tensor info: name, n_dims, dims (u64 each), ggml type, offset. */
    GgufBytes tensorInfo(String name, int type, long offset, long... dims) {
        str(name).u32(dims.length);
        for (long d : dims) {
            u64(d);
        }
        return u32(type).u64(offset);
    }

    GgufBytes padTo(int alignment) {
        while (out.size() % alignment != 0) {
            out.write(0);
        }
        return this;
    }

    int size() {
        return out.size();
    }

    byte[] bytes() {
        return out.toByteArray();
    }
}
