package io.steer4j.core.vector;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Orthonormal directions that together carry one concept at one activation site, for concept erasure: projecting
 * an activation onto their orthogonal complement ({@link #erase}, or in a forward pass
 * {@link io.steer4j.core.plan.SteeringPlan#projectingOut}) leaves no component in their span.
 *
 * <p>One direction (the mean difference) is often not enough: a probe trained on fresh, held-out examples after
 * the erasure still finds the concept in the directions along which it varies from one pair to another. The
 * subspace learned by {@link #fromPairDifferences} holds the top {@code rank} principal directions of the
 * <em>uncentred</em> pair differences {@code pos_i - neg_i} (the first is close to the mean difference, the next
 * ones span the concept's variation across pairs), so that a rank-k erasure removes everything a mean-difference
 * erasure does and more. Because the directions are orthonormal, ablating them one after another is exactly the
 * orthogonal projection onto the complement (an order-independent, idempotent map).
 *
 * <pre>{@code
 * ConceptSubspace sentiment = ConceptSubspace.fromPairDifferences(positives, negatives, 4);
 * SteeringPlan erase = SteeringPlan.projectingOut(sentiment, HookPoint.RESID_POST, lastLayer);
 * }</pre>
 */
public final class ConceptSubspace {
    /**
     * A direction whose squared singular value is below this fraction of the largest one is rounding noise,
     * not a direction of the data.
     */
    static final double RANK_TOLERANCE = 1e-10;

    private final float[][] basis;

    private ConceptSubspace(float[][] basis) {
        this.basis = basis;
    }

    /**
     * The subspace spanned by {@code directions}, made orthonormal (Gram-Schmidt, in that order: the first basis
     * vector is the first direction normalised).
     *
     * @throws IllegalArgumentException if there are none, their sizes differ, one has a NaN or infinite value, or
     *                                  one is zero or lies in the span of the ones before it (naming its index)
     */
    public static ConceptSubspace ofDirections(List<float[]> directions) {
        Objects.requireNonNull(directions, "directions");
        if (directions.isEmpty()) {
            throw new IllegalArgumentException("a concept subspace needs at least one direction");
        }
        int d = directions.get(0).length;
        if (d == 0) {
            throw new IllegalArgumentException("direction 0 is empty");
        }
        List<double[]> out = new ArrayList<>();
        for (int k = 0; k < directions.size(); k++) {
            float[] v = directions.get(k);
            if (v.length != d) {
                throw new IllegalArgumentException("direction " + k + " has size " + v.length + ", direction 0 has "
                        + d);
            }
            double[] w = new double[d];
            double norm0 = 0;
            for (int j = 0; j < d; j++) {
                if (!Float.isFinite(v[j])) {
                    throw new IllegalArgumentException("direction " + k + " has a non-finite value at index " + j);
                }
                w[j] = v[j];
                norm0 += w[j] * w[j];
            }
            orthogonalise(w, out);
            double norm = Math.sqrt(dot(w, w));
            if (norm0 == 0 || norm * norm <= RANK_TOLERANCE * norm0) {
                throw new IllegalArgumentException("direction " + k + (norm0 == 0 ? " is zero"
                        : " lies in the span of the directions before it"));
            }
            scale(w, 1 / norm);
            out.add(w);
        }
        return new ConceptSubspace(toFloats(out));
    }

    /**
     * The top {@code rank} principal directions of the uncentred pair differences {@code positives.row(i) -
     * negatives.row(i)}: the unit vectors {@code v_1..v_k} that maximise {@code Σ_i ((pos_i - neg_i)·v)²} in turn,
     * each orthogonal to the ones before (found with the same Lanczos iteration as {@link VectorMethod#PCA_CENTER}
     * on the differences deflated by the directions already found).
     *
     * @throws IllegalArgumentException if the matrices' shapes differ, {@code rank} is not in
     *                                  {@code 1..min(pairs, hidden size)}, or the differences span fewer than
     *                                  {@code rank} directions (saying how many)
     */
    public static ConceptSubspace fromPairDifferences(ActivationMatrix positives, ActivationMatrix negatives,
                                                      int rank) {
        Objects.requireNonNull(positives, "positives");
        Objects.requireNonNull(negatives, "negatives");
        int n = positives.rows();
        int d = positives.dim();
        if (negatives.rows() != n || negatives.dim() != d) {
            throw new IllegalArgumentException("positives are " + n + " x " + d + " but negatives are "
                    + negatives.rows() + " x " + negatives.dim() + "; pairs need matching rows");
        }
        if (rank < 1 || rank > Math.min(n, d)) {
            throw new IllegalArgumentException("rank must be in 1.." + Math.min(n, d) + " (" + n + " pairs, hidden "
                    + "size " + d + "), got " + rank);
        }
        float[] p = positives.data();
        float[] q = negatives.data();
        double[] a = new double[n * d];
        for (int k = 0; k < a.length; k++) {
            a[k] = (double) p[k] - q[k];
        }
        List<double[]> found = new ArrayList<>();
        double first = 0;
        for (int k = 0; k < rank; k++) {
            double[] v = PrincipalComponent.topRightSingularVector(a, n, d);
            double energy = v == null ? 0 : energyAlong(a, n, d, v);
            if (k == 0) {
                first = energy;
            }
            if (v == null || energy <= RANK_TOLERANCE * first) {
                throw new IllegalArgumentException("the " + n + " pair differences span only " + k
                        + " direction(s); asked for rank " + rank);
            }
            // Lanczos's vector is orthogonal to the directions already found only up to its tolerance (its random
            // start has components along them): re-orthogonalise so that the basis is orthonormal to rounding.
            orthogonalise(v, found);
            scale(v, 1 / Math.sqrt(dot(v, v)));
            found.add(v);
            deflate(a, n, d, v);
        }
        return new ConceptSubspace(toFloats(found));
    }

    /** Number of directions. */
    public int rank() {
        return basis.length;
    }

    /** Size of each direction (the hidden size of the activations it applies to). */
    public int dimension() {
        return basis[0].length;
    }

    /** A copy of basis vector {@code i} (unit length, orthogonal to the others). */
    public float[] direction(int i) {
        if (i < 0 || i >= basis.length) {
            throw new IndexOutOfBoundsException("direction " + i + " of a rank-" + basis.length + " subspace");
        }
        return basis[i].clone();
    }

    /** Copies of the basis vectors, in order. */
    public List<float[]> directions() {
        List<float[]> out = new ArrayList<>();
        for (float[] b : basis) {
            out.add(b.clone());
        }
        return out;
    }

    /**
     * {@code x} minus its orthogonal projection onto the subspace: what a forward pass with
     * {@link io.steer4j.core.plan.SteeringPlan#projectingOut} leaves of an activation.
     *
     * @throws IllegalArgumentException if {@code x} has another size
     */
    public float[] erase(float[] x) {
        if (x.length != dimension()) {
            throw new IllegalArgumentException("vector of size " + x.length + " for a subspace of dimension "
                    + dimension());
        }
        double[] y = new double[x.length];
        for (int j = 0; j < x.length; j++) {
            y[j] = x[j];
        }
        for (float[] b : basis) {
            double c = 0;
            for (int j = 0; j < y.length; j++) {
                c += y[j] * b[j];
            }
            for (int j = 0; j < y.length; j++) {
                y[j] -= c * b[j];
            }
        }
        float[] out = new float[y.length];
        for (int j = 0; j < y.length; j++) {
            out[j] = (float) y[j];
        }
        return out;
    }

    private static double energyAlong(double[] a, int n, int d, double[] v) {
        double e = 0;
        for (int i = 0; i < n; i++) {
            double c = 0;
            for (int j = 0; j < d; j++) {
                c += a[i * d + j] * v[j];
            }
            e += c * c;
        }
        return e;
    }

    private static void deflate(double[] a, int n, int d, double[] v) {
        for (int i = 0; i < n; i++) {
            double c = 0;
            for (int j = 0; j < d; j++) {
                c += a[i * d + j] * v[j];
            }
            for (int j = 0; j < d; j++) {
                a[i * d + j] -= c * v[j];
            }
        }
    }

    /** Removes from {@code w} its components along the orthonormal {@code basis}, twice for rounding. */
    private static void orthogonalise(double[] w, List<double[]> basis) {
        for (int pass = 0; pass < 2; pass++) {
            for (double[] b : basis) {
                double c = dot(w, b);
                for (int j = 0; j < w.length; j++) {
                    w[j] -= c * b[j];
                }
            }
        }
    }

    private static double dot(double[] x, double[] y) {
        double s = 0;
        for (int j = 0; j < x.length; j++) {
            s += x[j] * y[j];
        }
        return s;
    }

    private static void scale(double[] w, double f) {
        for (int j = 0; j < w.length; j++) {
            w[j] *= f;
        }
    }

    private static float[][] toFloats(List<double[]> rows) {
        float[][] out = new float[rows.size()][];
        for (int i = 0; i < out.length; i++) {
            double[] r = rows.get(i);
            out[i] = new float[r.length];
            for (int j = 0; j < r.length; j++) {
                out[i][j] = (float) r[j];
            }
        }
        return out;
    }
}
