package io.steer4j.djl.engine;

/**
 * The error function, for the exact GELU of {@link Activation#GELU_ERF} on float arrays (Java has no {@code Math.erf}): the Chebyshev
 * fit of {@code erfc} from Numerical Recipes (fractional error below 1.2e-7 everywhere), which is within float32
 * rounding of libtorch's erf.
 */
final class Erf {
    private Erf() {
    }

    static double erf(double x) {
        double z = Math.abs(x);
        double t = 1.0 / (1.0 + 0.5 * z);
        double r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
                + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? 1 - r : r - 1;
    }
}
