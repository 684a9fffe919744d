package io.steer4j.spark;

import io.steer4j.fixtures.TinyCheckpoints;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Test helper: one local Spark session for the whole test JVM ({@code local[2,2]}: two task threads, a task may
 * fail once and be retried), and the tiny random GPT-2 written once into a temp folder. Tests that cross JVMs use
 * {@link LocalCluster} instead; each helper stops the other's session.
 */
final class LocalSpark {
    private static SparkSession session;
    private static Path gpt2;

    private LocalSpark() {
    }

    static synchronized SparkSession session() {
        if (session == null || session.sparkContext().isStopped()) {
            LocalCluster.stop();
            session = SparkSession.builder()
                    .master("local[2,2]")
                    .appName("steer4j-tests")
                    .config("spark.ui.enabled", "false")
                    .config("spark.sql.shuffle.partitions", "2")
                    .config("spark.driver.host", "127.0.0.1")
                    .getOrCreate();
        }
        return session;
    }

    /** Stops the session (a JVM holds one SparkContext: {@link LocalCluster} needs it gone). */
    static synchronized void stop() {
        if (session != null) {
            session.stop();
            SparkSession.clearActiveSession();
            SparkSession.clearDefaultSession();
            session = null;
        }
    }

    static synchronized Path tinyGpt2() {
        if (gpt2 == null) {
            try {
                gpt2 = TinyCheckpoints.gpt2(Files.createTempDirectory("steer4j-spark").resolve("gpt2-tiny"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return gpt2;
    }

    /** {@code ../shared/models/<name>} or {@code $STEER4J_MODELS/<name>}, when present. */
    static Optional<Path> realModel(String name) {
        String env = System.getenv("STEER4J_MODELS");
        if (env != null && Files.isRegularFile(Path.of(env, name, "config.json"))) {
            return Optional.of(Path.of(env, name));
        }
        Path dir = Path.of("").toAbsolutePath();
        for (int up = 0; up < 4 && dir != null; up++, dir = dir.getParent()) {
            Path p = dir.resolve("shared").resolve("models").resolve(name);
            if (Files.isRegularFile(p.resolve("config.json"))) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }
}
