package io.steer4j.spark;

import org.apache.spark.sql.SparkSession;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Test helper: a {@code local-cluster[2,1,768]} Spark session, two executor JVMs of one core and 768 MB each,
 * launched by Spark's in-process standalone Master and Workers, so that plans, rows, statistics and vector files
 * cross process boundaries and each executor keeps its own model cache, as on a real cluster.
 *
 * <p>A JVM holds one active SparkContext: this session and {@link LocalSpark}'s stop each other, so test classes
 * may run in any order. The executors get the test class path (Spark builds their command line from it) and no
 * JVM flag of ours for the CPU engine: Spark 4 itself starts executors with {@code --add-modules=jdk.incubator.vector}
 * and its {@code --add-opens} list (its launcher's {@code JavaModuleOptions}), as on a real cluster, and the tests
 * check that the engine is on there.
 */
final class LocalCluster {
    static final int EXECUTORS = 2;
    /** Memory of each Worker and of its executor, in MiB (the executor may not ask for more than its Worker has). */
    static final int EXECUTOR_MB = 768;
    static final String MASTER = "local-cluster[" + EXECUTORS + ",1," + EXECUTOR_MB + "]";
    /** Executor JVM flags beyond Spark's own: DJL kept off the network. */
    static final String EXECUTOR_JAVA_OPTIONS = "-Dai.djl.offline=true";
    private static final long START_TIMEOUT_MS = 180_000;

    private static SparkSession session;
    private static Path home;

    private LocalCluster() {
    }

    /** The shared cluster session, started on first use with both executors registered. */
    static synchronized SparkSession session() {
        if (session != null && !session.sparkContext().isStopped()) {
            return session;
        }
        LocalSpark.stop();
        try {
            // Spark's Workers build executor command lines against a Spark "home": in testing mode an empty folder
            // with jars/ and launcher/target/scala-2.13 is enough, the class path itself coming from
            // spark.executor.extraClassPath.
            home = Files.createTempDirectory("steer4j-spark-home");
            Files.createDirectories(home.resolve("jars"));
            Files.createDirectories(home.resolve("launcher/target/scala-2.13"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        System.setProperty("spark.testing", "true");
        System.setProperty("spark.test.home", home.toString());
        session = SparkSession.builder()
                .master(MASTER)
                .appName("steer4j-cluster-tests")
                .config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.sql.shuffle.partitions", "2")
                .config("spark.executor.memory", EXECUTOR_MB + "m")
                .config("spark.executor.extraClassPath", testClassPath())
                .config("spark.executor.extraJavaOptions", EXECUTOR_JAVA_OPTIONS)
                .config("spark.executorEnv.DJL_OFFLINE", "true")
                .config("spark.executorEnv.OPT_OUT_TRACKING", "true")
                .config("spark.worker.dir", home.resolve("work").toString())
                .getOrCreate();
        awaitExecutors(EXECUTORS);
        return session;
    }

    /**
     * Waits until {@code n} executors are registered with the driver (at start, and after a test killed one:
     * the standalone Master launches a replacement).
     */
    static void awaitExecutors(int n) {
        long deadline = System.currentTimeMillis() + START_TIMEOUT_MS;
        while (liveExecutors() < n) {
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException(n + " executors did not register within " + START_TIMEOUT_MS
                        + " ms (" + liveExecutors() + " did); executor logs are under " + home.resolve("work"));
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for executors", e);
            }
        }
    }

    /** Executors registered now (the status tracker also lists the driver). */
    static int liveExecutors() {
        return session.sparkContext().statusTracker().getExecutorInfos().length - 1;
    }

    static synchronized void stop() {
        if (session != null) {
            session.stop();
            SparkSession.clearActiveSession();
            SparkSession.clearDefaultSession();
            session = null;
            System.clearProperty("spark.testing");
            System.clearProperty("spark.test.home");
            deleteQuietly(home);
        }
    }

    /** Surefire starts tests from a manifest-only jar; the real class path is in its own property. */
    private static String testClassPath() {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        // absolute entries: executors run in their own work folders
        return Arrays.stream(cp.split(File.pathSeparator))
                .filter(e -> !e.isBlank())
                .map(e -> Path.of(e).toAbsolutePath().toString())
                .collect(Collectors.joining(File.pathSeparator));
    }

    private static void deleteQuietly(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // a temp folder left behind is harmless
        }
    }
}
