package io.steer4j.core.format.gguf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The ggml tensor types steer4j reads and writes in GGUF files, with their codes as ggml numbers them: float32,
 * IEEE float16, bfloat16 and Q8_0 (blocks of 32 int8 values sharing a float16 scale, see {@link Q8Blocks}). Other
 * types (Q4_K and the rest) are refused by name.
 *
 * <pre>{@code
 * byte[] stored = GgmlType.Q8_0.encode(row);            // what a GGUF file holds
 * float[] back = GgmlType.Q8_0.decode(ByteBuffer.wrap(stored), row.length);
 * }</pre>
 */
public enum GgmlType {
    /** IEEE float32, 4 bytes a value. */
    F32(0, 1, 4),
    /** IEEE binary16, 2 bytes a value. */
    F16(1, 1, 2),
    /** Blocks of 32 int8 values and a float16 scale: 34 bytes per 32 values. */
    Q8_0(8, Q8Blocks.BLOCK, Q8Blocks.BLOCK_BYTES),
    /** bfloat16 (the upper half of a float32), 2 bytes a value. */
    BF16(30, 1, 2);

    private final int code;
    private final int blockSize;
    private final int blockBytes;

    GgmlType(int code, int blockSize, int blockBytes) {
        this.code = code;
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
    }

    /** ggml's number for the type, as a GGUF tensor info stores it. */
    public int code() {
        return code;
    }

    /** Values per block (1 for the float types, 32 for Q8_0); a row's length must be a multiple of it. */
    public int blockSize() {
        return blockSize;
    }

    /** Bytes one block occupies. */
    public int blockBytes() {
        return blockBytes;
    }

    /** Bytes {@code count} values occupy; {@code count} must be a multiple of {@link #blockSize()}. */
    public long byteSize(long count) {
        return count / blockSize * blockBytes;
    }

    /** The type with ggml code {@code code}, or null when steer4j does not handle it. */
    public static GgmlType fromCode(long code) {
        for (GgmlType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        return null;
    }

    /** ggml's name for a type code, for messages about types steer4j does not read. */
    public static String nameOf(long code) {
        String[] names = {"F32", "F16", "Q4_0", "Q4_1", "Q4_2", "Q4_3", "Q5_0", "Q5_1", "Q8_0", "Q8_1", "Q2_K",
            "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K", "IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S", "IQ4_NL", "IQ3_S",
            "IQ2_S", "IQ4_XS", "I8", "I16", "I32", "I64", "F64", "IQ1_M", "BF16"};
        return code >= 0 && code < names.length ? names[(int) code] : "type " + code;
    }

    /**
     * Encodes {@code values} as this type stores them (little-endian), rounded as ggml rounds.
     *
     * @throws IllegalArgumentException when the length is not a multiple of {@link #blockSize()}
     */
    public byte[] encode(float[] values) {
        if (values.length % blockSize != 0) {
            throw new IllegalArgumentException(name() + " stores rows in blocks of " + blockSize + " values; "
                    + values.length + " is not a multiple");
        }
        ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(byteSize(values.length))).order(ByteOrder.LITTLE_ENDIAN);
        switch (this) {
            case F32 -> out.asFloatBuffer().put(values);
            case F16 -> {
                for (float v : values) {
                    out.putShort(HalfFloats.toFloat16(v));
                }
            }
            case BF16 -> {
                for (float v : values) {
                    out.putShort(HalfFloats.toBfloat16(v));
                }
            }
            case Q8_0 -> Q8Blocks.quantize(values, out);
        }
        return out.array();
    }

    /** Decodes {@code count} values stored as this type from {@code in} at its position, widened to float32. */
    public float[] decode(ByteBuffer in, int count) {
        float[] out = new float[count];
        decode(in, out, 0, count);
        return out;
    }

    /** {@link #decode(ByteBuffer, int)} into {@code out} from {@code offset}; advances {@code in}. */
    public void decode(ByteBuffer in, float[] out, int offset, int count) {
        ByteBuffer b = in.order(ByteOrder.LITTLE_ENDIAN);
        switch (this) {
            case F32 -> {
                b.asFloatBuffer().get(out, offset, count);
                b.position(b.position() + 4 * count);
            }
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    out[offset + i] = HalfFloats.fromFloat16(b.getShort());
                }
            }
            case BF16 -> {
                for (int i = 0; i < count; i++) {
                    out[offset + i] = HalfFloats.fromBfloat16(b.getShort());
                }
            }
            case Q8_0 -> Q8Blocks.dequantize(b, out, offset, count);
        }
    }
}
