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
     * A real pretrained model: {@code ../shared/models/<name>} searched upwards from the working directory, or the
     * Hugging Face cache (offline). Skips the calling test, naming what is missing, when neither has it.
     */
    public static Path requireReal(String name) {
        Optional<Path> found = Optional.empty();
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
        Assumptions.assumeTrue(found.isPresent(), "pretrained model '" + name + "' not found in ../shared/models/"
                + name + " nor in the Hugging Face cache; this test needs the real checkpoint");
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
