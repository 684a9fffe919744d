package io.steer4j.core.format.gguf;

/**
 * Where a tensor of a GGUF model file lies and how it is stored.
 *
 * @param name         the tensor's name, e.g. {@code blk.0.attn_q.weight}
 * @param dims         dimensions in ggml order: {@code dims[0]} varies fastest (a {@code [rows, cols]} matrix is
 *                     {@code {cols, rows}})
 * @param type         how the values are stored
 * @param offset       byte offset of the data from the start of the file
 * @param elementCount product of the dimensions
 */
public record GgufTensorInfo(String name, long[] dims, GgmlType type, long offset, long elementCount) {

    /** Bytes the data occupies in the file. */
    public long byteSize() {
        return type.byteSize(elementCount);
    }
}
