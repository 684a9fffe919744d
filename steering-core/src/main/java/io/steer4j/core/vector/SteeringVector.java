package io.steer4j.core.vector;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A steering vector: one direction per layer (all of length {@link VectorMetadata#hiddenSize()}), plus metadata.
 *
 * <p>Immutable: arrays are copied in and out, so a caller can never change a vector another thread is using.
 * Values are float32 as stored in files; norms, dot products and combinations accumulate in double.
 *
 * <pre>{@code
 * SteeringVector happy = VectorFiles.read(Path.of("happy.safetensors"));
 * SteeringVector calm  = VectorFiles.read(Path.of("calm.safetensors"));
 * SteeringVector mix = SteeringVector.weightedSum(List.of(happy, calm), new double[] {0.7, 0.3})
 *     .restrictTo(4, 8);
 * double similarity = happy.cosine(calm, 6);
 * }</pre>
 *
 * <p>Combining vectors ({@link #plus}, {@link #minus}, {@link #weightedSum}) takes the union of their layers, a
 * layer missing from one operand counting as zero there; it requires equal hidden sizes, hook points and layer
 * numberings. The result carries the first operand's metadata with method {@code "composite"}.
 */
public final class SteeringVector {
    /** Method name recorded on vectors produced by {@link #plus}, {@link #minus} and {@link #weightedSum}. */
    public static final String COMPOSITE_METHOD = "composite";

    private final TreeMap<Integer, float[]> directions;
    private final VectorMetadata metadata;

    /**
     * Creates a vector from per-layer directions (copied).
     *
     * @throws IllegalArgumentException if there are no layers, a layer is negative, a direction's length differs
     *                                  from {@code metadata.hiddenSize()}, or a value is NaN or infinite (the
     *                                  message names the layer and index)
     */
    public SteeringVector(Map<Integer, float[]> directions, VectorMetadata metadata) {
        Objects.requireNonNull(directions, "directions");
        this.metadata = Objects.requireNonNull(metadata, "metadata");
        if (directions.isEmpty()) {
            throw new IllegalArgumentException("a steering vector needs at least one layer");
        }
        TreeMap<Integer, float[]> copy = new TreeMap<>();
        for (Map.Entry<Integer, float[]> e : directions.entrySet()) {
            Integer layer = Objects.requireNonNull(e.getKey(), "layer");
            float[] d = Objects.requireNonNull(e.getValue(), () -> "direction for layer " + layer);
            if (layer < 0) {
                throw new IllegalArgumentException("layer must be >= 0, got " + layer);
            }
            if (d.length != metadata.hiddenSize()) {
                throw new IllegalArgumentException("direction for layer " + layer + " has length " + d.length
                        + " but the hidden size is " + metadata.hiddenSize());
            }
            for (int i = 0; i < d.length; i++) {
                if (!Float.isFinite(d[i])) {
                    throw new IllegalArgumentException("direction for layer " + layer + " has non-finite value "
                            + d[i] + " at index " + i);
                }
            }
            copy.put(layer, d.clone());
        }
        this.directions = copy;
    }

    /** The metadata. */
    public VectorMetadata metadata() {
        return metadata;
    }

    /** Length of every direction. */
    public int hiddenSize() {
        return metadata.hiddenSize();
    }

    /** The layers that have a direction, ascending (unmodifiable). */
    public SortedSet<Integer> layers() {
        return Collections.unmodifiableSortedSet(new TreeSet<>(directions.keySet()));
    }

    /** Whether {@code layer} has a direction. */
    public boolean hasLayer(int layer) {
        return directions.containsKey(layer);
    }

    /**
     * A copy of the direction at {@code layer}.
     *
     * @throws IllegalArgumentException if the vector has no direction there (the message lists its layers)
     */
    public float[] direction(int layer) {
        return raw(layer).clone();
    }

    /** A copy of all directions, keyed by layer. */
    public SortedMap<Integer, float[]> directions() {
        TreeMap<Integer, float[]> out = new TreeMap<>();
        directions.forEach((l, d) -> out.put(l, d.clone()));
        return out;
    }

    /** The same directions with other metadata (whose hidden size must match). */
    public SteeringVector withMetadata(VectorMetadata newMetadata) {
        return new SteeringVector(directions, newMetadata);
    }

    private float[] raw(int layer) {
        float[] d = directions.get(layer);
        if (d == null) {
            throw new IllegalArgumentException("no direction for layer " + layer + "; this vector has layers "
                    + directions.keySet());
        }
        return d;
    }

    /** Euclidean norm of the direction at {@code layer}. */
    public double norm(int layer) {
        return norm(raw(layer));
    }

    /** Euclidean norm of every direction, keyed by layer. */
    public SortedMap<Integer, Double> norms() {
        TreeMap<Integer, Double> out = new TreeMap<>();
        directions.forEach((l, d) -> out.put(l, norm(d)));
        return Collections.unmodifiableSortedMap(out);
    }

    /**
     * Cosine similarity of the two vectors' directions at {@code layer}: {@code a·b / (|a| |b|)}.
     *
     * @throws IllegalArgumentException if either vector lacks the layer, they are not comparable, or a direction
     *                                  there has zero norm
     */
    public double cosine(SteeringVector other, int layer) {
        requireCompatible(other);
        float[] a = raw(layer);
        float[] b = other.raw(layer);
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        if (na == 0 || nb == 0) {
            throw new IllegalArgumentException("cosine undefined at layer " + layer + ": a direction has zero norm");
        }
        return dot / (Math.sqrt(na) * Math.sqrt(nb));
    }

    /** {@code this + other}, layer by layer (union of layers). */
    public SteeringVector plus(SteeringVector other) {
        return weightedSum(List.of(this, other), new double[] {1, 1});
    }

    /** {@code this - other}, layer by layer (union of layers). */
    public SteeringVector minus(SteeringVector other) {
        return weightedSum(List.of(this, other), new double[] {1, -1});
    }

    /**
     * Every direction scaled by {@code factor}; metadata unchanged.
     *
     * @throws IllegalArgumentException if {@code factor} is NaN or infinite, or the result overflows float
     */
    public SteeringVector times(double factor) {
        requireFinite(factor, "factor");
        TreeMap<Integer, float[]> out = new TreeMap<>();
        directions.forEach((l, d) -> {
            float[] r = new float[d.length];
            for (int i = 0; i < d.length; i++) {
                r[i] = (float) (d[i] * factor);
            }
            out.put(l, r);
        });
        return new SteeringVector(out, metadata);
    }

    /** Every direction negated (e.g. to steer away from a concept); metadata unchanged. */
    public SteeringVector negate() {
        return times(-1);
    }

    /**
     * Every direction scaled to unit Euclidean norm; metadata unchanged.
     *
     * @throws IllegalArgumentException naming the layer if a direction has zero norm
     */
    public SteeringVector normalized() {
        TreeMap<Integer, float[]> out = new TreeMap<>();
        directions.forEach((l, d) -> {
            double n = norm(d);
            if (n == 0) {
                throw new IllegalArgumentException("cannot normalise: the direction for layer " + l
                        + " has zero norm");
            }
            float[] r = new float[d.length];
            for (int i = 0; i < d.length; i++) {
                r[i] = (float) (d[i] / n);
            }
            out.put(l, r);
        });
        return new SteeringVector(out, metadata);
    }

    /**
     * The directions for layers {@code fromLayer..toLayerInclusive} only; metadata unchanged.
     *
     * @throws IllegalArgumentException if the range is empty or inverted, or the vector has no layer in it
     */
    public SteeringVector restrictTo(int fromLayer, int toLayerInclusive) {
        if (fromLayer > toLayerInclusive) {
            throw new IllegalArgumentException("layer range [" + fromLayer + ", " + toLayerInclusive
                    + "] is inverted");
        }
        SortedMap<Integer, float[]> sub = directions.subMap(fromLayer, true, toLayerInclusive, true);
        if (sub.isEmpty()) {
            throw new IllegalArgumentException("no layers in [" + fromLayer + ", " + toLayerInclusive
                    + "]; this vector has layers " + directions.keySet());
        }
        return new SteeringVector(sub, metadata);
    }

    /**
     * {@code Σ weights[k] · vectors[k]}, layer by layer over the union of layers (a missing layer counts as zero).
     * The result has the first vector's metadata with method {@value #COMPOSITE_METHOD}.
     *
     * @throws IllegalArgumentException if the list is empty, the weight count differs, a weight is not finite, or
     *                                  the vectors differ in hidden size, hook point or layer numbering
     */
    public static SteeringVector weightedSum(List<SteeringVector> vectors, double[] weights) {
        Objects.requireNonNull(vectors, "vectors");
        Objects.requireNonNull(weights, "weights");
        if (vectors.isEmpty()) {
            throw new IllegalArgumentException("weightedSum needs at least one vector");
        }
        if (weights.length != vectors.size()) {
            throw new IllegalArgumentException("got " + vectors.size() + " vectors but " + weights.length
                    + " weights");
        }
        SteeringVector first = vectors.get(0);
        TreeSet<Integer> layers = new TreeSet<>();
        for (int k = 0; k < vectors.size(); k++) {
            requireFinite(weights[k], "weight " + k);
            first.requireCompatible(vectors.get(k));
            layers.addAll(vectors.get(k).directions.keySet());
        }
        int dim = first.hiddenSize();
        TreeMap<Integer, float[]> out = new TreeMap<>();
        for (int layer : layers) {
            double[] acc = new double[dim];
            for (int k = 0; k < vectors.size(); k++) {
                float[] d = vectors.get(k).directions.get(layer);
                if (d != null) {
                    for (int i = 0; i < dim; i++) {
                        acc[i] += weights[k] * d[i];
                    }
                }
            }
            float[] r = new float[dim];
            for (int i = 0; i < dim; i++) {
                r[i] = (float) acc[i];
            }
            out.put(layer, r);
        }
        VectorMetadata meta = first.metadata.toBuilder().method(COMPOSITE_METHOD).build();
        return new SteeringVector(out, meta);
    }

    private void requireCompatible(SteeringVector other) {
        Objects.requireNonNull(other, "other vector");
        VectorMetadata a = metadata;
        VectorMetadata b = other.metadata;
        if (a.hiddenSize() != b.hiddenSize()) {
            throw new IllegalArgumentException("hidden sizes differ: " + a.hiddenSize() + " vs " + b.hiddenSize());
        }
        if (!a.hookPoint().equals(b.hookPoint())) {
            throw new IllegalArgumentException("hook points differ: " + a.hookPoint() + " vs " + b.hookPoint());
        }
        if (!a.layerNumbering().equals(b.layerNumbering())) {
            throw new IllegalArgumentException("layer numberings differ: '" + a.layerNumbering() + "' vs '"
                    + b.layerNumbering() + "'");
        }
    }

    private static void requireFinite(double value, String name) {
        if (!Double.isFinite(value)) {
            throw new IllegalArgumentException(name + " must be finite, got " + value);
        }
    }

    private static double norm(float[] d) {
        double s = 0;
        for (float v : d) {
            s += (double) v * v;
        }
        return Math.sqrt(s);
    }

    /** Equal when metadata and every direction are equal (bitwise float comparison). */
    @Override
    public boolean equals(Object o) {
        if (!(o instanceof SteeringVector other)) {
            return false;
        }
        if (!metadata.equals(other.metadata) || !directions.keySet().equals(other.directions.keySet())) {
            return false;
        }
        for (Map.Entry<Integer, float[]> e : directions.entrySet()) {
            if (!Arrays.equals(e.getValue(), other.directions.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        int h = metadata.hashCode();
        for (Map.Entry<Integer, float[]> e : directions.entrySet()) {
            h = 31 * h + e.getKey() * 17 + Arrays.hashCode(e.getValue());
        }
        return h;
    }

    @Override
    public String toString() {
        List<String> parts = new ArrayList<>();
        directions.forEach((l, d) -> parts.add(l + ":" + String.format("%.4g", norm(d))));
        return "SteeringVector[model=" + metadata.modelId() + ", hidden=" + metadata.hiddenSize() + ", hook="
                + metadata.hookPoint() + ", method=" + metadata.method() + ", norms{" + String.join(", ", parts)
                + "}]";
    }
}
