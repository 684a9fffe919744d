package io.steer4j.djl.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Keys and values of the tokens seen so far in one generation, per layer, with the padding mask and the next
 * logical position of each row. Owned by one call; closing it frees its native memory.
 */
public final class KvCache implements AutoCloseable {
    final NDManager manager;
    final NDArray[] keys;
    final NDArray[] values;
    /** 1 for a real token, 0 for padding, per row and cached slot. */
    int[][] mask;
    /** Logical position the next real token of each row will get. */
    final long[] nextPosition;
    private boolean closed;

    KvCache(NDManager parent, int layers, int batch) {
        this.manager = parent.newSubManager();
        this.keys = new NDArray[layers];
        this.values = new NDArray[layers];
        this.mask = new int[batch][0];
        this.nextPosition = new long[batch];
    }

    /** Number of cached slots (including padding) per row. */
    public int length() {
        return mask.length == 0 ? 0 : mask[0].length;
    }

    /** Rows in the cache. */
    public int batchSize() {
        return mask.length;
    }

    void store(int layer, NDArray k, NDArray v) {
        NDArray oldK = keys[layer];
        NDArray oldV = values[layer];
        k.attach(manager);
        v.attach(manager);
        keys[layer] = k;
        values[layer] = v;
        if (oldK != null && oldK != k) {
            oldK.close();
        }
        if (oldV != null && oldV != v) {
            oldV.close();
        }
    }

    boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            manager.close();
        }
    }
}
