package io.steer4j.core.eval;

import io.steer4j.core.vector.SteeringVector;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Pairwise cosine similarities {@code M[i][j] = v_i·v_j / (|v_i| |v_j|)} of a list of vectors, in double. Handy for
 * comparing vectors from different methods or datasets, or one vector's directions across layers.
 *
 * <p>A zero vector has no direction, so its cosine is undefined: every method here refuses it with an
 * {@link IllegalArgumentException} (naming the vector in a list) rather than returning 0 as PyTorch's
 * {@code cosine_similarity} does through its epsilon. steer4j's callers ({@code embed --compare}, the encoder
 * embedding sweep, condition search) report it instead of averaging a made-up 0 into their figures.
 *
 * <pre>{@code
 * double[][] m = CosineSimilarity.matrix(List.of(meanDiff, pcaDiff, pcaCenter), 6);
 * }</pre>
 */
public final class CosineSimilarity {
    private CosineSimilarity() {
    }

    /**
     * The symmetric similarity matrix of {@code vectors}; the diagonal is exactly 1.
     *
     * @throws IllegalArgumentException if the list is empty, lengths differ, or a vector has zero norm (naming it)
     */
    public static double[][] matrix(List<float[]> vectors) {
        Objects.requireNonNull(vectors, "vectors");
        if (vectors.isEmpty()) {
            throw new IllegalArgumentException("need at least one vector");
        }
        int n = vectors.size();
        int d = vectors.get(0).length;
        double[] norms = new double[n];
        for (int i = 0; i < n; i++) {
            float[] v = vectors.get(i);
            if (v.length != d) {
                throw new IllegalArgumentException("vector " + i + " has length " + v.length + ", vector 0 has " + d);
            }
            norms[i] = Math.sqrt(dot(v, v));
            if (norms[i] == 0) {
                throw new IllegalArgumentException("vector " + i + " has zero norm: cosine is undefined");
            }
        }
        double[][] m = new double[n][n];
        for (int i = 0; i < n; i++) {
            m[i][i] = 1;
            for (int j = i + 1; j < n; j++) {
                double c = dot(vectors.get(i), vectors.get(j)) / (norms[i] * norms[j]);
                m[i][j] = c;
                m[j][i] = c;
            }
        }
        return m;
    }

    /**
     * {@code a·b / (|a| |b|)} in double.
     *
     * @throws IllegalArgumentException if the lengths differ or either vector has zero norm
     */
    public static double of(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("vectors have lengths " + a.length + " and " + b.length);
        }
        double na = dot(a, a);
        double nb = dot(b, b);
        if (na == 0 || nb == 0) {
            throw new IllegalArgumentException("a vector has zero norm: cosine is undefined");
        }
        return dot(a, b) / (Math.sqrt(na) * Math.sqrt(nb));
    }

    /** The similarity matrix of the vectors' directions at {@code layer} (every vector must have that layer). */
    public static double[][] matrix(List<SteeringVector> vectors, int layer) {
        Objects.requireNonNull(vectors, "vectors");
        List<float[]> dirs = new ArrayList<>();
        for (SteeringVector v : vectors) {
            dirs.add(v.direction(layer));
        }
        return matrix(dirs);
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }
}
