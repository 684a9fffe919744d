package io.steer4j.djl.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * Keys and values of the tokens seen so far in one generation, per layer, with the padding mask and the next
 * logical position of each row. Owned by one call; closing it frees its native memory.
 *
 * <p>Each layer's keys and values live in a buffer with room for more slots than are filled; a step writes its
 * new slots in place and attention reads a view of the filled part. Concatenating a new cache every step instead
 * copied the whole cache per layer per token (the largest non-matmul cost of a decode step). A buffer that fills
 * up is replaced by one of twice the size (at most the model's context), so a cache created without knowing the
 * final length still costs amortised O(1) copies per token.
 */
public final class KvCache implements AutoCloseable {
    final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;
    /** Slots to allocate for the first step (at least the step's length), at most {@link #limit}. */
    private final int initialCapacity;
    /** The model's context: no buffer grows beyond it. */
    private final int limit;
    /** 1 for a real token, 0 for padding, per row and cached slot. */
    int[][] mask;
    /** Logical position the next real token of each row will get. */
    final long[] nextPosition;
    private boolean closed;

    KvCache(NDManager parent, int layers, int batch, int initialCapacity, int limit) {
        this.manager = parent.newSubManager();
        this.keys = new NDArray[layers];
        this.values = new NDArray[layers];
        this.initialCapacity = Math.max(1, Math.min(initialCapacity, limit));
        this.limit = limit;
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

    /** Slots allocated for {@code layer} (filled or not); 0 before its first step. */
    int capacity(int layer) {
        return keys[layer] == null ? 0 : (int) keys[layer].getShape().get(2);
    }

    /**
     * Writes this step's keys and values ({@code [batch, kvHeads, t, headDim]}) after the {@link #length()} cached
     * slots and returns views of every slot so far, {@code [batch, kvHeads, length + t, headDim]}, owned by
     * {@code stepManager}. The length itself advances when the forward pass ends (it is the mask's length).
     */
    NDArray[] append(int layer, NDArray k, NDArray v, NDManager stepManager) {
        int start = length();
        int end = start + (int) k.getShape().get(2);
        if (capacity(layer) < end) {
            grow(layer, start, end, k, v);
        }
        NDIndex fresh = new NDIndex(":, :, {}:{}", start, end);
        keys[layer].set(fresh, k);
        values[layer].set(fresh, v);
        NDIndex filled = new NDIndex(":, :, :{}", end);
        return new NDArray[] {keys[layer].get(stepManager, filled), values[layer].get(stepManager, filled)};
    }

    private void grow(int layer, int filled, int needed, NDArray k, NDArray v) {
        int old = capacity(layer);
        int cap = Math.max(needed, old == 0 ? initialCapacity : Math.min(limit, 2 * old));
        keys[layer] = regrow(keys[layer], k, filled, cap);
        values[layer] = regrow(values[layer], v, filled, cap);
    }

    /** A buffer of {@code cap} slots shaped like {@code step}, holding the first {@code filled} slots of {@code old}. */
    private NDArray regrow(NDArray old, NDArray step, int filled, int cap) {
        Shape s = step.getShape();
        NDArray bigger = manager.zeros(new Shape(s.get(0), s.get(1), cap, s.get(3)), step.getDataType());
        if (old != null) {
            if (filled > 0) {
                NDIndex part = new NDIndex(":, :, :{}", filled);
                try (NDArray view = old.get(manager, part)) {
                    bigger.set(part, view);
                }
            }
            old.close();
        }
        return bigger;
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
