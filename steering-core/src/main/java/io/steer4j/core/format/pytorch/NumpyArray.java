package io.steer4j.core.format.pytorch;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A numpy array as pickled: {@code numpy.core.multiarray._reconstruct(ndarray, (0,), b'b')} creates it empty and
 * BUILD's state {@code (version, shape, dtype, is_fortran, raw bytes)} fills it. Only float32, float16 and
 * float64 arrays are accepted; {@link #toTensor()} checks the byte count against the shape.
 */
final class NumpyArray {
    private long[] shape;
    private NumpyDtype dtype;
    private boolean fortran;
    private byte[] data;

    /** Applies BUILD's state tuple. */
    void setState(PickleTuple state) {
        if (state.size() != 5 || !(state.get(1) instanceof PickleTuple s) || !(state.get(2) instanceof NumpyDtype d)
                || !(state.get(3) instanceof Boolean f) || !(state.get(4) instanceof byte[] bytes)) {
            throw new IllegalArgumentException("numpy array state is not (version, shape, dtype, fortran, bytes)");
        }
        long[] sh = new long[s.size()];
        for (int i = 0; i < sh.length; i++) {
            if (!(s.get(i) instanceof Long n) || n < 0) {
                throw new IllegalArgumentException("numpy array shape " + s.items() + " is not non-negative ints");
            }
            sh[i] = n;
        }
        this.shape = sh;
        this.dtype = d;
        this.fortran = f;
        this.data = bytes;
    }

    /** The array as a row-major float tensor. */
    TorchTensor toTensor() {
        if (shape == null) {
            throw new IllegalArgumentException("numpy array was never given its state (no BUILD)");
        }
        long numel = 1;
        for (long s : shape) {
            numel = Math.multiplyExact(numel, s);
        }
        TorchStorageType type = dtype.storageType();
        if (numel * type.elementBytes() != data.length) {
            throw new IllegalArgumentException("numpy array of shape " + Arrays.toString(shape) + " and dtype "
                    + dtype + " needs " + numel * type.elementBytes() + " bytes but holds " + data.length);
        }
        if (fortran && Arrays.stream(shape).filter(x -> x != 1).count() > 1) {
            throw new IllegalArgumentException("Fortran-ordered numpy arrays of more than one dimension are not "
                    + "supported");
        }
        ByteBuffer b = ByteBuffer.wrap(data).order(dtype.bigEndian() ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[Math.toIntExact(numel)];
        for (int i = 0; i < out.length; i++) {
            out[i] = type.get(b, i);
        }
        return new TorchTensor(type.dtype(), shape.clone(), out);
    }
}
