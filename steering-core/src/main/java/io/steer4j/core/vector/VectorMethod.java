package io.steer4j.core.vector;

import java.util.Arrays;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * How a layer's steering direction is computed from positive and negative activations (rows = examples).
 * Write {@code p_i}, {@code q_i} for row {@code i} of the positive and negative matrices and {@code d_i = p_i - q_i}.
 *
 * <ul>
 *   <li>{@link #MEAN_DIFFERENCE}: {@code mean_i p_i - mean_j q_j} (CAA); not normalised, so its norm carries the
 *       natural scale of the concept. Row counts may differ.</li>
 *   <li>{@link #PCA_DIFF}: repeng's {@code pca_diff}: first principal component of the differences
 *       {@code d_i}, which (as sklearn's PCA does) are centred first: the unit top eigenvector of
 *       {@code Σ_i (d_i - d̄)(d_i - d̄)^T}. Paired.</li>
 *   <li>{@link #PCA_CENTER}: repeng's {@code pca_center}: each pair is centred on its midpoint
 *       {@code m_i = (p_i + q_i)/2}, giving rows {@code p_i - m_i = d_i/2} and {@code q_i - m_i = -d_i/2}, whose
 *       mean is already zero; their first principal component is therefore the unit top eigenvector of the
 *       uncentred {@code Σ_i d_i d_i^T}. Paired.</li>
 *   <li>{@link #LOGISTIC_REGRESSION}: the unit weight vector {@code w} of a logistic regression separating
 *       positives from negatives; see the constant for the objective.</li>
 * </ul>
 *
 * <p>A principal component has no inherent sign; both PCA methods flip it so that positives project higher than
 * negatives ({@code d_i · v > 0}) on the majority of pairs, ties settled by the sign of {@code Σ d_i · v}. They find
 * the component iteratively (restarted Lanczos on {@code A^T A} using only products with the difference matrix
 * {@code A}, never an n × n or dim × dim matrix; float inputs, double arithmetic, fixed-seed start; see the
 * package-private {@code PrincipalComponent} for cost and stopping rule): 1,000 pairs × 4,096 dims take well
 * under a second, even for structureless data.
 *
 * <pre>{@code
 * float[] dir = VectorMethod.PCA_DIFF.direction(positiveActs, negativeActs);
 * VectorMethod m = VectorMethod.parse("mean_difference");
 * }</pre>
 */
public enum VectorMethod {
    /** {@code mean(positives) - mean(negatives)}, unnormalised. */
    MEAN_DIFFERENCE("mean_difference", false) {
        @Override
        float[] compute(ActivationMatrix positives, ActivationMatrix negatives) {
            return MeanDifference.compute(positives, negatives);
        }
    },
    /** Unit first principal component of the centred pair differences, oriented towards the positives. */
    PCA_DIFF("pca_diff", true) {
        @Override
        float[] compute(ActivationMatrix positives, ActivationMatrix negatives) {
            return PrincipalComponent.compute(positives, negatives, true);
        }
    },
    /** Unit first principal component of the pair-midpoint-centred rows (uncentred differences), oriented. */
    PCA_CENTER("pca_center", true) {
        @Override
        float[] compute(ActivationMatrix positives, ActivationMatrix negatives) {
            return PrincipalComponent.compute(positives, negatives, false);
        }
    },
    /**
     * Unit {@code w} minimising {@code (1/n) Σ_k BCE(σ(w·z_k + b), y_k) + (λ/2)|w|²} with {@code y = 1} for
     * positives, {@code 0} for negatives, {@code z_k = (x_k - μ)/s} where {@code μ} is the mean of all rows and
     * {@code s} the root-mean-square norm of the centred rows, {@code λ = 0.01}; full-batch gradient descent with
     * step {@code 1/(1/4 + λ)} (provably decreasing) for at most 500 steps or until the gradient norm is below
     * {@code 1e-6}. Standardising by one scalar keeps {@code w}'s direction meaningful in activation space. Row
     * counts may differ. Costs {@code 2·n·dim} per step, so prefer the other methods for thousands of rows.
     */
    LOGISTIC_REGRESSION("logistic_regression", false) {
        @Override
        float[] compute(ActivationMatrix positives, ActivationMatrix negatives) {
            return LogisticRegressionDirection.compute(positives, negatives);
        }
    };

    private final String id;
    private final boolean paired;

    VectorMethod(String id, boolean paired) {
        this.id = id;
        this.paired = paired;
    }

    /** The stable lower-case id written to vector metadata, e.g. {@code "pca_diff"}. */
    public String id() {
        return id;
    }

    /** Whether row {@code i} of the positives must be the partner of row {@code i} of the negatives. */
    public boolean paired() {
        return paired;
    }

    /**
     * Computes the direction for one layer.
     *
     * @throws IllegalArgumentException if the hidden sizes differ, a paired method gets different row counts, or
     *                                  the data admit no direction (e.g. all differences zero)
     */
    public float[] direction(ActivationMatrix positives, ActivationMatrix negatives) {
        Objects.requireNonNull(positives, "positives");
        Objects.requireNonNull(negatives, "negatives");
        if (positives.dim() != negatives.dim()) {
            throw new IllegalArgumentException("positive activations have dim " + positives.dim()
                    + " but negative activations have dim " + negatives.dim());
        }
        if (paired && positives.rows() != negatives.rows()) {
            throw new IllegalArgumentException(id + " pairs rows: got " + positives.rows() + " positive rows and "
                    + negatives.rows() + " negative rows");
        }
        return compute(positives, negatives);
    }

    abstract float[] compute(ActivationMatrix positives, ActivationMatrix negatives);

    /**
     * Parses an id such as {@code "pca_diff"}.
     *
     * @throws IllegalArgumentException naming the unknown id and listing the valid ones
     */
    public static VectorMethod parse(String id) {
        for (VectorMethod m : values()) {
            if (m.id.equals(id)) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown vector method '" + id + "'; valid ids: "
                + Arrays.stream(values()).map(VectorMethod::id).collect(Collectors.joining(", ")));
    }
}
