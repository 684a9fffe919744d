package io.steer4j.djl.engine;

/**
 * The keys and values an engine keeps in its own memory beside a model's cache, for one row, slot by slot. The
 * cache ({@code io.steer4j.djl.model.KvCache}) sees only this: it copies slots that another engine wrote in and out
 * of it, so one generation can move between engines (a prompt pass on one, continuous batching on another).
 *
 * <p>Slot data crosses this interface head-major, {@code [kvHeads][slots][headDim]} flattened, the libtorch buffers'
 * order.
 */
public interface KvSlots {
    /**
     * Makes an engine's store.
     *
     * @param <S> the engine's store type
     */
    interface Factory<S extends KvSlots> {
        /** An empty store for {@code layers} layers with room for {@code capacity} slots, growing to {@code limit}. */
        S create(int layers, int capacity, int limit);
    }

    /** Slots allocated (filled or not). */
    int capacity();

    /** Slots filled, from 0. */
    int filled();

    /** Marks the first {@code slots} slots filled. */
    void filled(int slots);

    /** Makes room for {@code needed} slots, keeping the filled ones. */
    void reserve(int needed);

    /** Copies slots {@code [from, to)} of {@code layer} out into head-major {@code keys} and {@code values}. */
    void read(int layer, int from, int to, float[] keys, float[] values);

    /** Copies head-major {@code keys} and {@code values} into slots {@code [from, to)} of {@code layer}. */
    void write(int layer, int from, int to, float[] keys, float[] values);
}
