package io.steer4j.core.format.pytorch;

import io.steer4j.core.format.safetensors.FloatDecoding;

import java.nio.ByteBuffer;

/** The floating-point storage types a direction can be saved in, with their element decoding (little-endian). */
enum TorchStorageType {
    FLOAT("float32", 4),
    HALF("float16", 2),
    BFLOAT16("bfloat16", 2),
    DOUBLE("float64", 8);

    private final String dtype;
    private final int elementBytes;

    TorchStorageType(String dtype, int elementBytes) {
        this.dtype = dtype;
        this.elementBytes = elementBytes;
    }

    /** PyTorch's dtype name, e.g. {@code "bfloat16"}. */
    String dtype() {
        return dtype;
    }

    int elementBytes() {
        return elementBytes;
    }

    /** Element {@code index} of a little-endian buffer, widened exactly (float64 rounds to nearest float). */
    float get(ByteBuffer littleEndian, long index) {
        int at = Math.toIntExact(index * elementBytes);
        return switch (this) {
            case FLOAT -> littleEndian.getFloat(at);
            case HALF -> FloatDecoding.halfToFloat(littleEndian.getShort(at));
            // bfloat16 is the upper half of a float32
            case BFLOAT16 -> Float.intBitsToFloat((littleEndian.getShort(at) & 0xFFFF) << 16);
            case DOUBLE -> (float) littleEndian.getDouble(at);
        };
    }
}
