package io.steer4j.core.format.safetensors;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;

/** Decodes little-endian F32/F16/BF16/F64 element data into a float array. */
public final class FloatDecoding {
    private FloatDecoding() {
    }

    /**
     * Decodes {@code count} elements of {@code dtype} from {@code buf} (little-endian).
     *
     * @throws SafetensorsFormatException when the dtype is not floating point
     */
    public static float[] toFloats(ByteBuffer buf, SafetensorsDtype dtype, int count, String name, Path path)
            throws SafetensorsFormatException {
        ByteBuffer b = buf.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[count];
        switch (dtype) {
            case F32 -> b.asFloatBuffer().get(out);
            case F64 -> {
                for (int i = 0; i < count; i++) {
                    out[i] = (float) b.getDouble();
                }
            }
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    out[i] = halfToFloat(b.getShort());
                }
            }
            case BF16 -> {
                // BF16 is the upper half of an F32: widening is a shift, exact.
                for (int i = 0; i < count; i++) {
                    out[i] = Float.intBitsToFloat((b.getShort() & 0xFFFF) << 16);
                }
            }
            default -> throw new SafetensorsFormatException(path,
                    "tensor '" + name + "' has dtype " + dtype + ", expected a floating-point type");
        }
        return out;
    }

    /** Converts IEEE 754 binary16 bits to a float exactly (Java 17 has no built-in for this). */
    public static float halfToFloat(short bits) {
        int h = bits & 0xFFFF;
        int sign = (h >>> 15) << 31;
        int exp = (h >>> 10) & 0x1F;
        int mant = h & 0x3FF;
        if (exp == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F800000 | (mant << 13));
        }
        if (exp == 0) {
            if (mant == 0) {
                return Float.intBitsToFloat(sign);
            }
            // subnormal half: value = mant * 2^-24
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }
}
