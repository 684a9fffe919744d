package io.steer4j.core.format.safetensors;

import java.util.Arrays;
import java.util.stream.Collectors;

/** Element types of the safetensors format, with their names as written in a file header. */
public enum SafetensorsDtype {
    /** IEEE 754 double. */
    F64(8),
    /** IEEE 754 single (steer4j's vector files). */
    F32(4),
    /** IEEE 754 half. */
    F16(2),
    /** bfloat16: the upper half of an F32. */
    BF16(2),
    /** Signed 64-bit integer. */
    I64(8),
    /** Signed 32-bit integer. */
    I32(4),
    /** Signed 16-bit integer. */
    I16(2),
    /** Signed 8-bit integer. */
    I8(1),
    /** Unsigned 8-bit integer. */
    U8(1),
    /** Boolean, one byte. */
    BOOL(1);

    private final int byteSize;

    SafetensorsDtype(int byteSize) {
        this.byteSize = byteSize;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /**
     * Parses a header dtype name such as {@code "F32"}.
     *
     * @throws IllegalArgumentException naming the unknown type and the supported ones
     */
    public static SafetensorsDtype parse(String name) {
        for (SafetensorsDtype d : values()) {
            if (d.name().equals(name)) {
                return d;
            }
        }
        throw new IllegalArgumentException("unsupported safetensors dtype '" + name + "'; supported: "
                + Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", ")));
    }
}
