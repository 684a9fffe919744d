package io.steer4j.core.vector;

import java.util.Arrays;

/**
 * The weight vector of an L2-regularised logistic regression separating positives (label 1) from negatives
 * (label 0). See {@link VectorMethod#LOGISTIC_REGRESSION} for the exact objective.
 */
final class LogisticRegressionDirection {
    /** L2 penalty {@code λ}, in the standardised feature space described on the enum constant. */
    static final double LAMBDA = 1e-2;
    static final int MAX_ITERATIONS = 500;
    /** Stop when the gradient's Euclidean norm falls below this. */
    static final double GRADIENT_TOLERANCE = 1e-6;

    private LogisticRegressionDirection() {
    }

    static float[] compute(ActivationMatrix positives, ActivationMatrix negatives) {
        int d = positives.dim();
        int np = positives.rows();
        int n = np + negatives.rows();
        // Standardise with one global mean and scale so the step size below is safe whatever the activations'
        // magnitude (GPT-2 residual norms run into the hundreds): z = (x - mu) / s with mean |z|^2 = 1.
        double[] z = new double[n * d];
        double[] mu = new double[d];
        copyRows(positives.data(), z, 0);
        copyRows(negatives.data(), z, np * d);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                mu[j] += z[i * d + j];
            }
        }
        double sq = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                double c = z[i * d + j] - mu[j] / n;
                z[i * d + j] = c;
                sq += c * c;
            }
        }
        if (sq == 0) {
            throw new IllegalArgumentException("all activations are identical: logistic regression has no direction");
        }
        double s = Math.sqrt(sq / n);
        for (int k = 0; k < z.length; k++) {
            z[k] /= s;
        }
        // The loss is L-smooth with L <= λmax(Z^T Z)/(4n) + λ <= trace(Z^T Z)/(4n) + λ = 1/4 + λ, so step 1/L
        // decreases it monotonically.
        double step = 1 / (0.25 + LAMBDA);
        double[] w = new double[d];
        double b = 0;
        double[] grad = new double[d];
        for (int it = 0; it < MAX_ITERATIONS; it++) {
            Arrays.fill(grad, 0);
            double gb = 0;
            for (int i = 0; i < n; i++) {
                int base = i * d;
                double t = b;
                for (int j = 0; j < d; j++) {
                    t += w[j] * z[base + j];
                }
                double r = sigmoid(t) - (i < np ? 1 : 0);
                gb += r;
                for (int j = 0; j < d; j++) {
                    grad[j] += r * z[base + j];
                }
            }
            double gnorm = gb / n * (gb / n);
            for (int j = 0; j < d; j++) {
                grad[j] = grad[j] / n + LAMBDA * w[j];
                gnorm += grad[j] * grad[j];
            }
            for (int j = 0; j < d; j++) {
                w[j] -= step * grad[j];
            }
            b -= step * gb / n;
            if (Math.sqrt(gnorm) < GRADIENT_TOLERANCE) {
                break;
            }
        }
        double len = 0;
        for (double x : w) {
            len += x * x;
        }
        len = Math.sqrt(len);
        if (len == 0) {
            throw new IllegalArgumentException("positives and negatives have the same mean and spread: "
                    + "logistic regression has no direction");
        }
        float[] out = new float[d];
        for (int j = 0; j < d; j++) {
            out[j] = (float) (w[j] / len);
        }
        return out;
    }

    private static void copyRows(float[] src, double[] dst, int offset) {
        for (int k = 0; k < src.length; k++) {
            dst[offset + k] = src[k];
        }
    }

    private static double sigmoid(double t) {
        return t >= 0 ? 1 / (1 + Math.exp(-t)) : Math.exp(t) / (1 + Math.exp(t));
    }
}
