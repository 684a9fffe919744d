package io.steer4j.core.vector;

/** Computes {@code mean(positives) - mean(negatives)} with double accumulation. See {@link VectorMethod#MEAN_DIFFERENCE}. */
final class MeanDifference {
    private MeanDifference() {
    }

    static float[] compute(ActivationMatrix positives, ActivationMatrix negatives) {
        double[] mp = mean(positives);
        double[] mn = mean(negatives);
        float[] out = new float[mp.length];
        for (int j = 0; j < out.length; j++) {
            out[j] = (float) (mp[j] - mn[j]);
        }
        return out;
    }

    static double[] mean(ActivationMatrix m) {
        int n = m.rows();
        int d = m.dim();
        float[] x = m.data();
        double[] sum = new double[d];
        for (int i = 0; i < n; i++) {
            int base = i * d;
            for (int j = 0; j < d; j++) {
                sum[j] += x[base + j];
            }
        }
        for (int j = 0; j < d; j++) {
            sum[j] /= n;
        }
        return sum;
    }
}
