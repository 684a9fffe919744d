package io.steer4j.djl.engine.cpu;

import io.steer4j.core.format.gguf.GgmlType;
import io.steer4j.core.format.gguf.GgufModelFile;
import io.steer4j.core.format.gguf.GgufTensorInfo;

import java.io.IOException;

/**
 * An {@code [out, in]} weight kept in its stored format (bfloat16, float16 or Q8_0) in the row layout
 * {@link QuantizedKernels} reads, made from a GGUF tensor's bytes without widening them: 16-bit rows are the file's
 * little-endian pairs read as ints, Q8_0 rows its int8 values with the block scales widened once.
 *
 * <p>Not yet used by the CPU engine: this is the weight half of wiring the kernels in, which follows the engine's
 * reorganisation.
 */
final class QuantizedMatrix {
    private final GgmlType type;
    private final int out;
    private final int in;
    private final int[][] packed;
    private final byte[][] q;
    private final float[][] d;

    private QuantizedMatrix(GgmlType type, int out, int in, int[][] packed, byte[][] q, float[][] d) {
        this.type = type;
        this.out = out;
        this.in = in;
        this.packed = packed;
        this.q = q;
        this.d = d;
    }

    /**
     * Reads a 2-D BF16, F16 or Q8_0 tensor of {@code f}.
     *
     * @throws IllegalArgumentException when the tensor is not 2-D, is F32, or has rows of odd length
     */
    static QuantizedMatrix fromGguf(GgufModelFile f, GgufTensorInfo t) throws IOException {
        if (t.dims().length != 2 || t.type() == GgmlType.F32 || t.dims()[0] % 2 != 0) {
            throw new IllegalArgumentException("tensor '" + t.name() + "' (" + t.type() + ", dims "
                    + java.util.Arrays.toString(t.dims()) + ") is not a 2-D 16-bit or Q8_0 matrix with even rows");
        }
        int in = Math.toIntExact(t.dims()[0]);
        int out = Math.toIntExact(t.dims()[1]);
        byte[] stored = f.storedBytes(t);
        int rowBytes = (int) t.type().byteSize(in);
        if (t.type() == GgmlType.Q8_0) {
            byte[][] q = new byte[out][in];
            float[][] d = new float[out][in / QuantizedKernels.Q8_BLOCK];
            for (int r = 0; r < out; r++) {
                QuantizedKernels.unpackQ8(stored, r * rowBytes, in, q[r], d[r]);
            }
            return new QuantizedMatrix(t.type(), out, in, null, q, d);
        }
        int[][] packed = new int[out][in / 2];
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(stored).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int r = 0; r < out; r++) {
            b.position(r * rowBytes);
            b.asIntBuffer().get(packed[r]);
        }
        return new QuantizedMatrix(t.type(), out, in, packed, null, null);
    }

    /** The stored format. */
    GgmlType type() {
        return type;
    }

    /** Rows. */
    int out() {
        return out;
    }

    /** Row length. */
    int in() {
        return in;
    }

    /**
     * {@code y[r] = dot(row r, x) + bias[r]} for {@code r} in {@code [r0, r1)}.
     *
     * @param even {@code x}'s even elements ({@link QuantizedKernels#deinterleave}), used by the 16-bit formats
     * @param odd  {@code x}'s odd elements
     */
    void multiply(float[] x, float[] even, float[] odd, float[] bias, float[] y, int r0, int r1) {
        switch (type) {
            case BF16 -> QuantizedKernels.matvecBf16(even, odd, in, packed, bias, y, r0, r1);
            case F16 -> QuantizedKernels.matvecF16(even, odd, in, packed, bias, y, r0, r1);
            case Q8_0 -> QuantizedKernels.matvecQ8(x, in, q, d, bias, y, r0, r1);
            default -> throw new IllegalStateException(type.name());
        }
    }
}
