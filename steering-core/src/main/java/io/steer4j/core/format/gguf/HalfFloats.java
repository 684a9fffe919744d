package io.steer4j.core.format.gguf;

/**
 * Float32 to 16-bit conversions rounded as ggml rounds them, and back: IEEE binary16 (round to nearest even, as
 * F16C's {@code _cvtss_sh} and numpy do) and bfloat16 (round to nearest even, NaN kept quiet, as ggml's
 * {@code ggml_compute_fp32_to_bf16} and gguf-py do). Java 17 has no built-in for either
 * ({@code Float.floatToFloat16} arrived in Java 20).
 */
public final class HalfFloats {
    private HalfFloats() {
    }

    /** The bfloat16 bits nearest to {@code f} (ties to even); a NaN stays a NaN, made quiet. */
    public static short toBfloat16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7fffffff) > 0x7f800000) {
            return (short) ((bits >>> 16) | 64);
        }
        return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
    }

    /** Widens bfloat16 bits to float32 (exact: a bfloat16 is the upper half of a float32). */
    public static float fromBfloat16(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /**
     * The binary16 bits nearest to {@code f} (ties to even): values beyond the largest half (65504) round to
     * infinity, small ones to subnormals or zero, NaN stays NaN.
     */
    public static short toFloat16(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int abs = bits & 0x7fffffff;
        if (abs > 0x7f800000) {
            return (short) (sign | 0x7e00 | ((abs >>> 13) & 0x3ff));
        }
        if (abs >= 0x477ff000) { // 65520 and above round to infinity
            return (short) (sign | 0x7c00);
        }
        if (abs < 0x38800000) { // below the smallest normal half (2^-14): subnormal or zero
            if (abs < 0x33000000) { // below half the smallest subnormal (2^-25), and 2^-25 itself ties to 0
                return (short) sign;
            }
            int exp = abs >>> 23;
            int mant = (abs & 0x7fffff) | 0x800000;
            int shift = 126 - exp; // value = mant * 2^(exp-150); half subnormal unit 2^-24
            int q = mant >>> shift;
            int rem = mant & ((1 << shift) - 1);
            int halfway = 1 << (shift - 1);
            if (rem > halfway || (rem == halfway && (q & 1) != 0)) {
                q++;
            }
            return (short) (sign | q);
        }
        int rounded = abs + 0xfff + ((abs >>> 13) & 1);
        return (short) (sign | ((rounded - 0x38000000) >>> 13));
    }

    /** Widens binary16 bits to float32 exactly (the safetensors reader's conversion, one for every format). */
    public static float fromFloat16(short bits) {
        return io.steer4j.core.format.safetensors.FloatDecoding.halfToFloat(bits);
    }
}
