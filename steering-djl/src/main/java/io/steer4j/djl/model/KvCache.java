package io.steer4j.djl.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.steer4j.djl.engine.KvSlots;

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
    /** An engine's own copy of this (single-row) cache, or null; see {@link #hostKv}. */
    private KvSlots hostKv;
    /** Per layer, the slots the libtorch buffers hold (an engine's own copy may hold later ones). */
    private final int[] torchSlots;
    /** Whether forward passes may leave last-position logits here as a Java array; see {@link #preferHostLogits}. */
    private boolean hostLogitsWanted;
    /** Logits a forward pass left as a Java array, not yet taken. */
    private float[] hostLogits;

    KvCache(NDManager parent, int layers, int batch, int initialCapacity, int limit) {
        this.manager = parent.newSubManager();
        this.keys = new NDArray[layers];
        this.values = new NDArray[layers];
        this.initialCapacity = Math.max(1, Math.min(initialCapacity, limit));
        this.limit = limit;
        this.mask = new int[batch][0];
        this.nextPosition = new long[batch];
        this.torchSlots = new int[layers];
    }

    /**
     * Lets forward passes on this cache that compute the last position's logits in Java (the Java CPU engine)
     * leave them as a Java array for {@link #takeHostLogits} instead of returning an NDArray: such a pass
     * returns null from {@link LanguageModel#forward} with {@link LogitsMode#LAST}. A pass that computes its logits
     * in libtorch still returns them as usual, so a caller that asks for this takes the Java logits when there are
     * some and reads the NDArray otherwise.
     *
     * <p>Why: a decode step's logits are a vocabulary-sized array (200 KB for GPT-2); creating an NDArray from
     * them and copying them straight back out cost 0.3-0.6 ms a token, more than all of attention.
     */
    public void preferHostLogits() {
        hostLogitsWanted = true;
    }

    boolean hostLogitsWanted() {
        return hostLogitsWanted;
    }

    /**
     * The last-position logits ({@code [vocab]} for this single-row cache) that the latest forward pass left here
     * (see {@link #preferHostLogits}), or null when it returned them as an NDArray. Taking them hands them over:
     * a second call returns null.
     */
    public float[] takeHostLogits() {
        float[] out = hostLogits;
        hostLogits = null;
        return out;
    }

    void hostLogits(float[] values) {
        hostLogits = values;
    }

    /** Number of cached slots (including padding) per row. */
    public int length() {
        return mask.length == 0 ? 0 : mask[0].length;
    }

    /** Rows in the cache. */
    public int batchSize() {
        return mask.length;
    }

    /**
     * Slots allocated for {@code layer} (filled or not); 0 before its first step. Both stores grow alike, so this
     * is the libtorch buffer's size, or the engine copy's while only that engine has run.
     */
    int capacity(int layer) {
        return keys[layer] != null ? torchCapacity(layer) : hostKv == null ? 0 : hostKv.capacity();
    }

    private int torchCapacity(int layer) {
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
        if (torchCapacity(layer) < end) {
            grow(layer, start, end, k, v);
        }
        if (torchSlots[layer] < start) {
            exportHostSlots(layer, torchSlots[layer], start, k);
        }
        NDIndex fresh = new NDIndex(":, :, {}:{}", start, end);
        torchSlots[layer] = end;
        keys[layer].set(fresh, k);
        values[layer].set(fresh, v);
        NDIndex filled = new NDIndex(":, :, :{}", end);
        return new NDArray[] {keys[layer].get(stepManager, filled), values[layer].get(stepManager, filled)};
    }

    private void grow(int layer, int filled, int needed, NDArray k, NDArray v) {
        int old = torchCapacity(layer);
        int cap = Math.max(needed, old == 0 ? initialCapacity : Math.min(limit, 2 * old));
        // only the slots libtorch wrote are in the old buffer; an engine copy's later ones are exported after this
        int held = Math.min(filled, torchSlots[layer]);
        keys[layer] = regrow(keys[layer], k, held, cap);
        values[layer] = regrow(values[layer], v, held, cap);
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

    /**
     * An engine's own keys and values ({@link KvSlots}, made by {@code create} on first use) with room for
     * {@code needed} slots, holding every cached slot: slots the libtorch path wrote since the engine's last step
     * are copied over first (a cache may alternate between engines, e.g. a prompt pass on the Java CPU engine and
     * continuous batching in libtorch). A cache serves one model, so it only ever meets one kind of store.
     */
    @SuppressWarnings("unchecked")
    <S extends KvSlots> S hostKv(int needed, KvSlots.Factory<S> create) {
        if (hostKv == null) {
            hostKv = create.create(keys.length, Math.min(limit, Math.max(needed, initialCapacity)), limit);
        }
        hostKv.reserve(needed);
        int from = hostKv.filled();
        int to = length();
        if (from < to) {
            for (int l = 0; l < keys.length; l++) {
                float[] k = slots(keys[l], from, to);
                float[] v = slots(values[l], from, to);
                hostKv.write(l, from, to, k, v);
            }
            hostKv.filled(to);
        }
        return (S) hostKv;
    }

    /** Slots {@code [from, to)} of a libtorch buffer {@code [1, kvHeads, cap, hd]}, head-major float32. */
    private float[] slots(NDArray buffer, int from, int to) {
        try (NDArray part = buffer.get(manager, new NDIndex(":, :, {}:{}", from, to))) {
            return part.toType(DataType.FLOAT32, false).toFloatArray(); // [1, kvHeads, to - from, hd]
        }
    }

    /** Writes the engine copy's slots {@code [from, to)} of {@code layer} into the libtorch buffers. */
    private void exportHostSlots(int layer, int from, int to, NDArray like) {
        if (hostKv == null || hostKv.filled() < to) {
            throw new IllegalStateException("KV cache slots " + from + ".." + to + " of layer " + layer
                    + " were written by neither path");
        }
        Shape s = like.getShape();
        int kvHeads = (int) s.get(1);
        int hd = (int) s.get(3);
        int run = (to - from) * hd;
        float[] k = new float[kvHeads * run];
        float[] v = new float[kvHeads * run];
        hostKv.read(layer, from, to, k, v);
        NDIndex slots = new NDIndex(":, :, {}:{}", from, to);
        Shape headMajor = new Shape(1, kvHeads, to - from, hd);
        try (NDArray kk = manager.create(k, headMajor); NDArray vv = manager.create(v, headMajor)) {
            keys[layer].set(slots, kk.toType(like.getDataType(), false));
            values[layer].set(slots, vv.toType(like.getDataType(), false));
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
