package io.steer4j.core.vector;

/**
 * Largest eigenpair of a small dense symmetric matrix by cyclic Jacobi rotations: simple, unconditionally stable,
 * and accurate to rounding; O(m³) per sweep, fine for the ≤ 64 × 64 Lanczos projections it serves.
 */
final class SymmetricEigen {
    private static final int MAX_SWEEPS = 100;

    private SymmetricEigen() {
    }

    /**
     * Returns the largest eigenvalue of symmetric {@code matrix} (which is overwritten) and stores a unit
     * eigenvector for it in {@code vectorOut}.
     */
    static double largest(double[][] matrix, double[] vectorOut) {
        int m = matrix.length;
        double[][] a = matrix;
        double[][] v = new double[m][m];
        for (int i = 0; i < m; i++) {
            v[i][i] = 1;
        }
        for (int sweep = 0; sweep < MAX_SWEEPS; sweep++) {
            double off = 0;
            double diag = 0;
            for (int i = 0; i < m; i++) {
                diag += a[i][i] * a[i][i];
                for (int j = i + 1; j < m; j++) {
                    off += a[i][j] * a[i][j];
                }
            }
            if (off <= 1e-30 * diag || off == 0) {
                break;
            }
            for (int p = 0; p < m; p++) {
                for (int q = p + 1; q < m; q++) {
                    if (a[p][q] == 0) {
                        continue;
                    }
                    // Rotation that zeroes a[p][q] (Golub & Van Loan, Algorithm 8.5.1).
                    double tau = (a[q][q] - a[p][p]) / (2 * a[p][q]);
                    double t = Math.signum(tau) / (Math.abs(tau) + Math.sqrt(1 + tau * tau));
                    if (tau == 0) {
                        t = 1;
                    }
                    double c = 1 / Math.sqrt(1 + t * t);
                    double s = t * c;
                    for (int k = 0; k < m; k++) {
                        double akp = a[k][p];
                        double akq = a[k][q];
                        a[k][p] = c * akp - s * akq;
                        a[k][q] = s * akp + c * akq;
                    }
                    for (int k = 0; k < m; k++) {
                        double apk = a[p][k];
                        double aqk = a[q][k];
                        a[p][k] = c * apk - s * aqk;
                        a[q][k] = s * apk + c * aqk;
                    }
                    for (int k = 0; k < m; k++) {
                        double vkp = v[k][p];
                        double vkq = v[k][q];
                        v[k][p] = c * vkp - s * vkq;
                        v[k][q] = s * vkp + c * vkq;
                    }
                }
            }
        }
        int best = 0;
        for (int i = 1; i < m; i++) {
            if (a[i][i] > a[best][best]) {
                best = i;
            }
        }
        for (int k = 0; k < m; k++) {
            vectorOut[k] = v[k][best];
        }
        return a[best][best];
    }
}
