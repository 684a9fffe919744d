package io.steer4j.core.format.safetensors;

import java.util.Arrays;
import java.util.stream.Collectors;

/** Element types of the safetensors format, with their names as written in a file header. */
public enum SafetensorsDtype {
    F64(8), F32(4), F16(2), BF16(2), I64(8), I32(4), I16(2), I8(1), U8(1), BOOL(1);

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
