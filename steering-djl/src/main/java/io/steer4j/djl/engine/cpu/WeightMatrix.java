package io.steer4j.djl.engine.cpu;

/**
 * An {@code [rows, cols]} weight of the Java CPU engine, one array per row (see {@code SimdKernels#matmulRows} for
 * why), in the number format it is held in: {@link Float32Matrix}, {@link Bfloat16Matrix},
 * {@link Float16Matrix} or {@link Q8Matrix}. The decoder picks the product kernel from the format; every format can widen a row to
 * float32 for the kernels that read floats.
 */
public sealed interface WeightMatrix permits Float32Matrix, Bfloat16Matrix, Float16Matrix, Q8Matrix {
    /** Output rows. */
    int rows();

    /** Values per row. */
    int cols();

    /** Bytes of weights held (row values only). */
    long bytes();

    /** Writes row {@code r} as {@link #cols()} floats to {@code dst[at ..]}. */
    void widenRow(int r, float[] dst, int at);
}
