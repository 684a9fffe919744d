package io.steer4j.core.format.gguf;

/**
 * Metadata value types of GGUF, with their numeric codes as written in a file (see ggml's {@code gguf.h}).
 */
enum GgufValueType {
    UINT8(1), INT8(1), UINT16(2), INT16(2), UINT32(4), INT32(4), FLOAT32(4), BOOL(1), STRING(-1), ARRAY(-1),
    UINT64(8), INT64(8), FLOAT64(8);

    /** Fixed size in bytes, or -1 for variable-length types. */
    final int size;

    GgufValueType(int size) {
        this.size = size;
    }

    /** The type with this code ({@code ordinal()} is the code), or {@code null} if unknown. */
    static GgufValueType fromCode(long code) {
        return code >= 0 && code < values().length ? values()[(int) code] : null;
    }

    /** Smallest number of bytes a value of this type occupies, used to bound counts by the bytes left. */
    int minSize() {
        return switch (this) {
            case STRING -> 8;
            case ARRAY -> 12;
            default -> size;
        };
    }

    boolean isInteger() {
        return this == UINT8 || this == INT8 || this == UINT16 || this == INT16 || this == UINT32 || this == INT32
                || this == UINT64 || this == INT64;
    }
}
