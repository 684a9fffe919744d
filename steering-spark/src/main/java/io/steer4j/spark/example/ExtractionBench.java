package io.steer4j.spark.example;

import io.steer4j.core.dataset.ContrastiveDataset;
import io.steer4j.core.dataset.ContrastiveDatasets;
import io.steer4j.core.dataset.ContrastivePair;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.steering.SteeringVectorComputer;
import io.steer4j.spark.SparkVectorComputer;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Benchmark: pairs per second of vector extraction in one process ({@code SteeringVectorComputer}) and through
 * Spark with one and two local executors, in one run, so the overhead of going through Spark is known.
 *
 * <pre>
 * ExtractionBench MODEL PAIRS_FILE PAIRS ROUNDS LAYERS [CONFIGURATIONS]
 * </pre>
 * The pairs file is repeated until {@code PAIRS} pairs; {@code LAYERS} is a comma list. Configurations are timed
 * in interleaved rounds after a warm-up (model loaded, JIT warm); the table gives the median per configuration.
 * {@code CONFIGURATIONS} (a semicolon list, as master URLs hold commas) runs only some of them.
 *
 * <p>Threads: Spark sets {@code OMP_NUM_THREADS} of the executors it launches to {@code spark.task.cpus} (1 here)
 * unless {@code spark.executorEnv.OMP_NUM_THREADS} is given, so the {@code local-cluster} executors run libtorch on
 * one thread each while this JVM uses libtorch's default; run {@code single} alone under
 * {@code OMP_NUM_THREADS=1} to compare like with like.
 *
 * <ul>
 *   <li>{@code single}: the library in this JVM, no Spark;</li>
 *   <li>{@code local[1]}, {@code local[2]}: Spark local mode, one executor (this JVM) with one or two task
 *       threads; the two threads share this JVM's one model, whose libtorch work runs on one engine thread;</li>
 *   <li>{@code local-cluster[2,1,M]}: two executor JVMs with one core each, each loading its own model, as on a
 *       cluster. Spark starts them through its launcher, which needs a Spark home; a stand-in folder with empty
 *       {@code jars} is made and the executors get this JVM's class path.</li>
 * </ul>
 */
public final class ExtractionBench {
    private ExtractionBench() {
    }

    /**
     * Runs the benchmark and prints the table.
     *
     * @param args {@code MODEL PAIRS_FILE PAIRS ROUNDS LAYERS [CONFIGURATIONS]}
     * @throws IOException when the pairs file cannot be read
     */
    public static void main(String[] args) throws IOException {
        if (args.length < 5) {
            System.err.println("usage: ExtractionBench MODEL PAIRS_FILE PAIRS ROUNDS LAYERS [CONFIGURATIONS]");
            System.exit(2);
        }
        String model = args[0];
        ContrastiveDataset base = ContrastiveDatasets.load(Path.of(args[1]));
        int n = Integer.parseInt(args[2]);
        int rounds = Integer.parseInt(args[3]);
        List<Integer> layers = Arrays.stream(args[4].split(",")).map(Integer::parseInt).toList();
        List<ContrastivePair> list = new ArrayList<>();
        for (int i = 0; list.size() < n; i++) {
            list.add(base.pairs().get(i % base.size()));
        }
        ContrastiveDataset pairs = new ContrastiveDataset("bench", list);
        ContrastiveDataset warm = new ContrastiveDataset("warm", list.subList(0, Math.min(16, n)));

        Map<String, List<Double>> seconds = new LinkedHashMap<>();
        String[] configs = args.length > 5 ? args[5].split(";")
                : new String[] {"single", "local[1]", "local[2]", "local-cluster[2,1,3072]"};
        for (String c : configs) {
            seconds.put(c, new ArrayList<>());
        }
        try (LanguageModel lm = LanguageModel.load(model)) {
            SteeringVectorComputer single = SteeringVectorComputer.builder(lm).layers(layers).keepActivations(false)
                    .build();
            single.compute(warm);
            for (int r = 0; r < rounds; r++) {
                for (String c : configs) {
                    double s = c.equals("single") ? time(() -> single.compute(pairs)) : spark(c, model, layers,
                            pairs, warm);
                    seconds.get(c).add(s);
                    System.out.printf("round %d %-24s %.2f s%n", r + 1, c, s);
                }
            }
        }
        double singleMedian = seconds.containsKey("single") ? median(seconds.get("single")) : Double.NaN;
        System.out.println();
        System.out.printf("%d pairs, layers %s, model %s, %d rounds (median)%n", n, layers, model, rounds);
        System.out.println("| configuration | seconds | pairs/s | vs single process |");
        System.out.println("| --- | --- | --- | --- |");
        for (Map.Entry<String, List<Double>> e : seconds.entrySet()) {
            double m = median(e.getValue());
            System.out.printf("| %s | %.2f | %.1f | %.2fx |%n", e.getKey(), m, n / m, singleMedian / m);
        }
    }

    /** Times one Spark extraction in a fresh session of {@code master} (its start-up and warm-up not timed). */
    private static double spark(String master, String model, List<Integer> layers, ContrastiveDataset pairs,
                                ContrastiveDataset warm) throws IOException {
        SparkSession.Builder b = SparkSession.builder().master(master).appName("steer4j-bench")
                .config("spark.ui.enabled", "false");
        if (master.startsWith("local-cluster")) {
            Path home = Files.createTempDirectory("spark-home");
            Files.createDirectories(home.resolve("jars"));
            Files.createDirectories(home.resolve("launcher/target/scala-2.13"));
            System.setProperty("spark.testing", "true");
            System.setProperty("spark.test.home", home.toString());
            // absolute entries: executors run in their own work folders
            String classPath = Arrays.stream(System.getProperty("java.class.path").split(java.io.File.pathSeparator))
                    .map(e -> Path.of(e).toAbsolutePath().toString())
                    .collect(java.util.stream.Collectors.joining(java.io.File.pathSeparator));
            b.config("spark.executor.extraClassPath", classPath)
                    .config("spark.executor.extraJavaOptions", "-Dai.djl.offline=true")
                    .config("spark.executorEnv.DJL_OFFLINE", "true")
                    .config("spark.executorEnv.OPT_OUT_TRACKING", "true");
        }
        try (SparkSession spark = b.getOrCreate()) {
            int partitions = spark.sparkContext().defaultParallelism();
            SparkVectorComputer c = SparkVectorComputer.builder(model).layers(layers).build();
            c.compute(spark, warm, partitions);
            return time(() -> c.compute(spark, pairs, partitions));
        } finally {
            System.clearProperty("spark.testing");
            System.clearProperty("spark.test.home");
        }
    }

    private static double time(Runnable r) {
        long t = System.nanoTime();
        r.run();
        return (System.nanoTime() - t) / 1e9;
    }

    private static double median(List<Double> xs) {
        double[] a = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
    }
}
