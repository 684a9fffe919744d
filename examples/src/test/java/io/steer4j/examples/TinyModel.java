package io.steer4j.examples;

import io.steer4j.djl.hub.ModelResolver;
import io.steer4j.fixtures.TinyCheckpoints;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Test helper: one tiny random GPT-2 checkpoint (3 layers, hidden 32) per JVM, written once to a temp folder,
 * and lookup of a real pretrained model for the tests that need one.
 */
public final class TinyModel {
    private static Path dir;

    private TinyModel() {
    }

    /** The tiny checkpoint folder (created on first use, deleted at JVM exit). */
    public static synchronized Path dir() {
        if (dir == null) {
            try {
                Path tmp = Files.createTempDirectory("steer4j-tiny");
                dir = TinyCheckpoints.gpt2(tmp.resolve("gpt2-tiny"));
                Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(tmp)));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return dir;
    }

    /**
     * A real pretrained model: {@code $STEER4J_MODELS/<name>}, {@code ../shared/models/<name>} searched upwards
     * from the working directory, or the Hugging Face cache (offline). Skips the calling test, naming what is missing, when neither has it.
     */
    public static Path requireReal(String name) {
        Optional<Path> found = Optional.empty();
        String env = System.getenv("STEER4J_MODELS");   // set by .ci/run
        if (env != null && Files.isRegularFile(Path.of(env, name, "config.json"))) {
            found = Optional.of(Path.of(env, name));
        }
        Path d = Path.of("").toAbsolutePath();
        for (int up = 0; up < 4 && d != null && found.isEmpty(); up++, d = d.getParent()) {
            for (Path p : new Path[] {d.resolve("shared/models/" + name), d.resolve("../shared/models/" + name)}) {
                if (Files.isRegularFile(p.resolve("config.json"))) {
                    found = Optional.of(p.normalize());
                    break;
                }
            }
        }
        if (found.isEmpty()) {
            try {
                found = Optional.of(ModelResolver.builder().offline(true).build().resolve(name));
            } catch (RuntimeException e) {
                // not cached
            }
        }
        if (found.isEmpty()) {
            // Said on stderr as well as in the skip reason, so that a CI log shows the real-model tests did not run.
            System.err.println("*** SKIPPED: pretrained model '" + name + "' not found in ../shared/models/" + name
                    + ", $STEER4J_MODELS/" + name + " or the Hugging Face cache; real-model tests need it ***");
        }
        Assumptions.assumeTrue(found.isPresent(), "pretrained model '" + name + "' not found in ../shared/models/"
                + name + ", $STEER4J_MODELS/" + name + " nor in the Hugging Face cache; this test needs the real "
                + "checkpoint");
        return found.get();
    }

    private static void deleteTree(Path root) {
        try (var s = Files.walk(root)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort
        }
    }
}
