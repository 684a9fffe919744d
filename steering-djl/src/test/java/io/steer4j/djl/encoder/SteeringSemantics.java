package io.steer4j.djl.encoder;

import java.util.Arrays;
import java.util.List;

/** Small statistics for the steering-semantics tests: cosine, Spearman, a logistic probe, recall@1. */
final class SteeringSemantics {
    private SteeringSemantics() {
    }

    static double cosine(float[] a, float[] b) {
        double ab = 0;
        double aa = 0;
        double bb = 0;
        for (int i = 0; i < a.length; i++) {
            ab += (double) a[i] * b[i];
            aa += (double) a[i] * a[i];
            bb += (double) b[i] * b[i];
        }
        return ab / Math.sqrt(aa * bb);
    }

    static float[] mean(float[][] rows) {
        float[] m = new float[rows[0].length];
        for (float[] r : rows) {
            for (int i = 0; i < m.length; i++) {
                m[i] += r[i] / rows.length;
            }
        }
        return m;
    }

    /** Spearman rank correlation (average ranks for ties). */
    static double spearman(double[] a, double[] b) {
        double[] ra = ranks(a);
        double[] rb = ranks(b);
        double ma = Arrays.stream(ra).average().orElse(0);
        double mb = Arrays.stream(rb).average().orElse(0);
        double num = 0;
        double da = 0;
        double db = 0;
        for (int i = 0; i < a.length; i++) {
            num += (ra[i] - ma) * (rb[i] - mb);
            da += (ra[i] - ma) * (ra[i] - ma);
            db += (rb[i] - mb) * (rb[i] - mb);
        }
        return num / Math.sqrt(da * db);
    }

    private static double[] ranks(double[] v) {
        Integer[] idx = new Integer[v.length];
        for (int i = 0; i < v.length; i++) {
            idx[i] = i;
        }
        Arrays.sort(idx, (x, y) -> Double.compare(v[x], v[y]));
        double[] r = new double[v.length];
        for (int i = 0; i < v.length; ) {
            int j = i;
            while (j + 1 < v.length && v[idx[j + 1]] == v[idx[i]]) {
                j++;
            }
            for (int k = i; k <= j; k++) {
                r[idx[k]] = (i + j) / 2.0;
            }
            i = j + 1;
        }
        return r;
    }

    /** An L2-regularised logistic regression with bias, fitted by gradient descent on standardised features. */
    record Probe(double[] w, double b, double[] mu, double[] sd) {
        static Probe fit(float[][] x, boolean[] y) {
            int n = x.length;
            int d = x[0].length;
            double[] mu = new double[d];
            double[] sd = new double[d];
            for (float[] r : x) {
                for (int j = 0; j < d; j++) {
                    mu[j] += r[j] / n;
                }
            }
            for (float[] r : x) {
                for (int j = 0; j < d; j++) {
                    sd[j] += (r[j] - mu[j]) * (r[j] - mu[j]) / n;
                }
            }
            for (int j = 0; j < d; j++) {
                sd[j] = Math.sqrt(sd[j]) + 1e-6;
            }
            double[] w = new double[d];
            double b = 0;
            for (int it = 0; it < 2000; it++) {
                double[] gw = new double[d];
                double gb = 0;
                for (int i = 0; i < n; i++) {
                    double z = b;
                    for (int j = 0; j < d; j++) {
                        z += w[j] * (x[i][j] - mu[j]) / sd[j];
                    }
                    double err = 1 / (1 + Math.exp(-z)) - (y[i] ? 1 : 0);
                    for (int j = 0; j < d; j++) {
                        gw[j] += err * (x[i][j] - mu[j]) / sd[j] / n;
                    }
                    gb += err / n;
                }
                for (int j = 0; j < d; j++) {
                    w[j] -= 0.5 * (gw[j] + 1e-3 * w[j]);
                }
                b -= 0.5 * gb;
            }
            return new Probe(w, b, mu, sd);
        }

        double accuracy(float[][] x, boolean[] y) {
            int right = 0;
            for (int i = 0; i < x.length; i++) {
                double z = b;
                for (int j = 0; j < w.length; j++) {
                    z += w[j] * (x[i][j] - mu[j]) / sd[j];
                }
                right += (z > 0) == y[i] ? 1 : 0;
            }
            return (double) right / x.length;
        }
    }

    /** Fraction of queries whose most similar document is their own (query i belongs to document i). */
    static double recallAt1(float[][] queries, float[][] docs) {
        int hits = 0;
        for (int q = 0; q < queries.length; q++) {
            int best = 0;
            for (int d = 1; d < docs.length; d++) {
                if (cosine(queries[q], docs[d]) > cosine(queries[q], docs[best])) {
                    best = d;
                }
            }
            hits += best == q ? 1 : 0;
        }
        return (double) hits / queries.length;
    }

    static boolean[] labels(int positives, int negatives) {
        boolean[] y = new boolean[positives + negatives];
        Arrays.fill(y, 0, positives, true);
        return y;
    }

    static List<String> concat(List<String> a, List<String> b) {
        return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
    }
}
