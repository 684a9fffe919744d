package io.steer4j.bench;

import io.steer4j.core.dataset.ContrastiveDataset;
import io.steer4j.core.dataset.ContrastivePair;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.steering.SteeringVectorComputer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

import static io.steer4j.bench.Medians.median;

/**
 * {@code steer4j bench --sections extraction}: pairs/s of steering-vector computation from {@code --pairs} seeded
 * sentence pairs, at one layer and at every layer, and the time to the first vector (the model load plus the
 * first computation, timed right after the load by {@link #timeFirstVector} before any other section ran).
 */
final class ExtractionSection {
    private final BenchWorkload w;
    private final int pairs;
    private double firstVectorSeconds;

    ExtractionSection(BenchWorkload w, int pairs) {
        this.w = w;
        this.pairs = pairs;
    }

    /** Times the first vector computed by a freshly loaded model (one layer); call before any other section. */
    void timeFirstVector(LanguageModel lm) {
        long cold = System.nanoTime();
        SteeringVectorComputer.builder(lm).layers(lm.numLayers() / 2).batchSize(16).keepActivations(false).build()
                .compute(dataset());
        firstVectorSeconds = (System.nanoTime() - cold) / 1e9;
    }

    void run(LanguageModel lm, double loadSeconds, Map<String, Object> report) {
        ContrastiveDataset ds = dataset();
        System.out.printf("%nvector computation, %d pairs, batch 16, median of %d:%n", pairs, Math.min(w.runs, 3));
        Map<String, Object> out = new LinkedHashMap<>();
        int[] oneLayer = {lm.numLayers() / 2};
        int[] all = IntStream.range(0, lm.numLayers()).toArray();
        // Time to first vector: what a user waits for from nothing, the model load plus the first computation,
        // timed right after the load before any other section ran.
        System.out.printf("  time to first vector: load %.2f s + first computation right after it %.2f s = %.2f s%n",
                loadSeconds, firstVectorSeconds, loadSeconds + firstVectorSeconds);
        out.put("time_to_first_vector_s", loadSeconds + firstVectorSeconds);
        for (int[] layers : List.of(oneLayer, all)) {
            double[] secs = new double[Math.min(w.runs, 3)];
            for (int k = 0; k < secs.length; k++) {
                long t = System.nanoTime();
                SteeringVectorComputer.builder(lm).layers(layers).batchSize(16).keepActivations(false).build().compute(ds);
                secs[k] = (System.nanoTime() - t) / 1e9;
            }
            double m = median(secs);
            String key = layers.length == 1 ? "1 layer" : "all " + layers.length + " layers";
            System.out.printf("  %-16s %8.2f pairs/s  (%.2f s per vector)%n", key, pairs / m, m);
            out.put(key, Map.of("pairs_per_s", pairs / m, "seconds", m));
        }
        report.put("extraction", out);
    }

    private ContrastiveDataset dataset() {
        List<ContrastivePair> list = new ArrayList<>();
        SplittableRandom r = new SplittableRandom(7);
        String[] words = {"good", "bad", "happy", "sad", "day", "film", "food", "work", "music", "weather", "friend"};
        for (int i = 0; i < pairs; i++) {
            StringBuilder s = new StringBuilder("I think the");
            for (int k = 0; k < 6; k++) {
                s.append(' ').append(words[r.nextInt(words.length)]);
            }
            list.add(new ContrastivePair(s + " is wonderful", s + " is terrible"));
        }
        return new ContrastiveDataset("bench", list);
    }
}
