package io.steer4j.core.format.safetensors;

import java.util.Arrays;

/**
 * Where one tensor lies in a safetensors file.
 *
 * @param name       tensor name as in the header
 * @param dtype      element type
 * @param shape      dimensions (empty for a scalar)
 * @param dataOffset absolute byte offset of the first element from the start of the file
 * @param byteLength number of bytes of the tensor's data
 */
public record SafetensorsTensorInfo(String name, SafetensorsDtype dtype, long[] shape, long dataOffset, long byteLength) {
    /** Copies the shape, so the record stays immutable. */
    public SafetensorsTensorInfo {
        shape = shape.clone();
    }

    /**
     * @return a copy of the dimensions
     */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Number of elements (product of the shape). */
    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SafetensorsTensorInfo t && name.equals(t.name) && dtype == t.dtype
                && Arrays.equals(shape, t.shape) && dataOffset == t.dataOffset && byteLength == t.byteLength;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + "[" + dtype + " " + Arrays.toString(shape) + " @" + dataOffset + "+" + byteLength + "]";
    }
}
