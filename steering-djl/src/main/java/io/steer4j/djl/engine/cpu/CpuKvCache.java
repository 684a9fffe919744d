package io.steer4j.djl.engine.cpu;

import io.steer4j.djl.engine.KvSlots;

/**
 * Keys and values of one row as the Java CPU engine reads them, head-major ({@code [kvHeads][capacity][headDim]}
 * per layer, the libtorch buffers' order): one head's slots are one contiguous run, so attention streams them
 * instead of gathering a head's 64 floats from every slot. The model's cache holds one beside its libtorch buffers
 * and sees it only as {@link KvSlots}.
 */
public final class CpuKvCache implements KvSlots {
    final float[][] keys;
    final float[][] values;
    private int filled;
    private final int kvHeads;
    private final int headDim;
    private int capacity;
    private final int limit;

    CpuKvCache(int layers, int kvHeads, int headDim, int capacity, int limit) {
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.capacity = capacity;
        this.limit = limit;
        this.keys = new float[layers][kvHeads * capacity * headDim];
        this.values = new float[layers][kvHeads * capacity * headDim];
    }

    @Override
    public int capacity() {
        return capacity;
    }

    @Override
    public int filled() {
        return filled;
    }

    @Override
    public void filled(int slots) {
        filled = slots;
    }

    /** Offset of {@code slot} of key/value head {@code head} in a layer's array. */
    int at(int head, int slot) {
        return (head * capacity + slot) * headDim;
    }

    /** Makes room for {@code needed} slots, doubling (up to the context) so growth costs O(1) per token. */
    @Override
    public void reserve(int needed) {
        if (needed <= capacity) {
            return;
        }
        int grown = Math.max(needed, Math.min(limit, 2 * capacity));
        for (int l = 0; l < keys.length; l++) {
            keys[l] = regrow(keys[l], grown);
            values[l] = regrow(values[l], grown);
        }
        capacity = grown;
    }

    private float[] regrow(float[] old, int grown) {
        float[] a = new float[kvHeads * grown * headDim];
        for (int h = 0; h < kvHeads; h++) {
            System.arraycopy(old, h * capacity * headDim, a, h * grown * headDim, filled * headDim);
        }
        return a;
    }

    @Override
    public void read(int layer, int from, int to, float[] k, float[] v) {
        int run = (to - from) * headDim;
        for (int h = 0; h < kvHeads; h++) {
            System.arraycopy(keys[layer], at(h, from), k, h * run, run);
            System.arraycopy(values[layer], at(h, from), v, h * run, run);
        }
    }

    @Override
    public void write(int layer, int from, int to, float[] k, float[] v) {
        int run = (to - from) * headDim;
        for (int h = 0; h < kvHeads; h++) {
            System.arraycopy(k, h * run, keys[layer], at(h, from), run);
            System.arraycopy(v, h * run, values[layer], at(h, from), run);
        }
    }
}
