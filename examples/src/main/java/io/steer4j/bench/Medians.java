package io.steer4j.bench;

import java.util.Arrays;
import java.util.List;

/**
 * How the bench summarises repeated measurements: the median (robust to one slow round on a shared machine) and
 * the raw rounds printed beside it, so a reader sees the spread.
 */
final class Medians {
    private Medians() {
    }

    static double median(double[] v) {
        double[] c = v.clone();
        Arrays.sort(c);
        return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
    }

    static double median(List<Double> v) {
        return median(v.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /** The rounds as printed after a figure: {@code [12.3 12.1 11.9]}. */
    static String rounds(double[] v) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < v.length; i++) {
            sb.append(i == 0 ? "" : " ").append(String.format("%.1f", v[i]));
        }
        return sb.append(']').toString();
    }
}
