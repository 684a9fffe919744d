package io.steer4j.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.steer4j.djl.model.LanguageModel;

import java.util.Map;

import static io.steer4j.bench.Medians.median;

/**
 * {@code steer4j bench --sections bandwidth}: the machine's memory read and copy bandwidth through libtorch over
 * 512 MiB, the weight bytes one decoded token reads, and, when the generation section ran before it, the weight
 * streaming rate that generation implies as a fraction of the measured read bandwidth.
 */
final class BandwidthSection {
    private BandwidthSection() {
    }

    static void run(LanguageModel lm, Map<String, Object> report) {
        long weightBytes = Memory.weightBytesPerToken(lm);
        double[] readGbs = new double[5];
        double[] copyGbs = new double[5];
        // On the engine thread like every libtorch call: from the main thread it would start a second OpenMP team
        // and slow both this measurement and every later section.
        lm.compute(() -> {
            streamOver512MiB(readGbs, copyGbs);
            return null;
        });
        double read = median(readGbs);
        double copy = median(copyGbs);
        System.out.printf("%nbandwidth (libtorch, 512 MiB, median of 5): read (sum) %.1f GB/s, copy %.1f GB/s (read+write)%n",
                read, copy);
        System.out.printf("  weights read per decoded token: %.1f MB%n", weightBytes / 1e6);
        report.put("bandwidth", Map.of("read_gb_per_s", read, "copy_gb_per_s", copy,
                "weight_bytes_per_token", weightBytes));
        @SuppressWarnings("unchecked")
        Map<String, Object> gen = (Map<String, Object>) report.get("generation_batch1");
        if (gen != null) {
            @SuppressWarnings("unchecked")
            double tps = (double) ((Map<String, Object>) gen.get("unsteered")).get("tokens_per_s");
            double implied = weightBytes * tps / 1e9;
            System.out.printf("  implied weight streaming at batch 1: %.1f GB/s = %.0f%% of the measured read bandwidth%n",
                    implied, 100 * implied / read);
            report.put("implied_weight_gb_per_s", implied);
            report.put("implied_fraction_of_read_bandwidth", implied / read);
        }
    }

    private static void streamOver512MiB(double[] readGbs, double[] copyGbs) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.ones(new Shape(128L * 1024 * 1024), DataType.FLOAT32); // 512 MiB, far beyond any cache
            a.sum().getFloat();
            a.duplicate().close();
            for (int k = 0; k < readGbs.length; k++) {
                long t = System.nanoTime();
                try (NDArray s = a.sum()) {
                    s.getFloat();
                }
                readGbs[k] = a.size() * 4.0 / ((System.nanoTime() - t) / 1e9) / 1e9;
                t = System.nanoTime();
                NDArray b = a.duplicate();
                b.getFloat(0);
                copyGbs[k] = 2.0 * a.size() * 4 / ((System.nanoTime() - t) / 1e9) / 1e9; // read + write
                b.close();
            }
        }
    }
}
