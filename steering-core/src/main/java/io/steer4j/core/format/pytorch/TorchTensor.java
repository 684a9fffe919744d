package io.steer4j.core.format.pytorch;

import java.util.Arrays;

/**
 * A tensor read from a pickle, its elements gathered into row-major order and widened to float.
 *
 * @param dtype  PyTorch's (or numpy's) element type name, e.g. {@code "float16"}
 * @param shape  the sizes, outermost first
 * @param values {@code product(shape)} values, row-major
 */
record TorchTensor(String dtype, long[] shape, float[] values) {

    /**
     * Rebuilds {@code torch._utils._rebuild_tensor_v2}'s view of {@code storage}: element {@code (i0, i1, ...)} is
     * storage element {@code offset + Σ i_k * stride_k}. Any strides and offsets are allowed as long as every
     * element lies inside the storage; a view with more elements than its storage (a broadcast, stride 0) is
     * refused, which keeps the memory a file can make us allocate within its own size.
     *
     * @throws IllegalArgumentException naming the inconsistency
     */
    static TorchTensor rebuild(TorchStorage storage, long offset, long[] size, long[] stride) {
        if (size.length != stride.length) {
            throw new IllegalArgumentException("tensor has " + size.length + " sizes but " + stride.length
                    + " strides");
        }
        if (offset < 0) {
            throw new IllegalArgumentException("tensor has negative storage offset " + offset);
        }
        long numel = 1;
        long last = offset;
        try {
            for (int d = 0; d < size.length; d++) {
                if (size[d] < 0 || stride[d] < 0) {
                    throw new IllegalArgumentException("tensor has negative size or stride: size "
                            + Arrays.toString(size) + ", stride " + Arrays.toString(stride));
                }
                numel = Math.multiplyExact(numel, size[d]);
                if (size[d] > 0) {
                    last = Math.addExact(last, Math.multiplyExact(size[d] - 1, stride[d]));
                }
            }
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("tensor size " + Arrays.toString(size) + " overflows", e);
        }
        if (numel > 0 && last >= storage.numel()) {
            throw new IllegalArgumentException("tensor of size " + Arrays.toString(size) + ", stride "
                    + Arrays.toString(stride) + " and offset " + offset + " reaches storage element " + last
                    + " but storage '" + storage.key() + "' holds " + storage.numel());
        }
        if (numel > storage.numel()) {
            throw new IllegalArgumentException("tensor of size " + Arrays.toString(size) + " has " + numel
                    + " elements, more than its storage '" + storage.key() + "' holds (" + storage.numel() + ")");
        }
        float[] out = new float[Math.toIntExact(numel)];
        long[] index = new long[size.length];
        for (int i = 0; i < out.length; i++) {
            long at = offset;
            for (int d = 0; d < size.length; d++) {
                at += index[d] * stride[d];
            }
            out[i] = storage.type().get(storage.data(), at);
            for (int d = size.length - 1; d >= 0; d--) {
                if (++index[d] < size[d]) {
                    break;
                }
                index[d] = 0;
            }
        }
        return new TorchTensor(storage.type().dtype(), size.clone(), out);
    }

    /** Number of dimensions whose size is not 1: a direction has exactly one. */
    long[] squeezed() {
        return Arrays.stream(shape).filter(s -> s != 1).toArray();
    }

    @Override
    public String toString() {
        return "tensor(" + dtype + ", shape " + Arrays.toString(shape) + ")";
    }
}
