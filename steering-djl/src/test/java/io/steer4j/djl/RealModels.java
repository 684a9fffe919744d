package io.steer4j.djl;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Test helper: finds a pretrained checkpoint in {@code ../shared/models/<name>} (searched upwards from the working
 * directory) or in the folder named by {@code STEER4J_MODELS}; tests that need one are skipped, with a message
 * naming what is missing, when it is absent.
 */
public final class RealModels {
    private RealModels() {
    }

    public static Optional<Path> find(String name) {
        return find(name, "config.json");
    }

    /** The folder {@code name} that holds {@code file}, if any (see the class comment for where it looks). */
    public static Optional<Path> find(String name, String file) {
        String env = System.getenv("STEER4J_MODELS");
        if (env != null && Files.isRegularFile(Path.of(env, name, file))) {
            return Optional.of(Path.of(env, name));
        }
        Path dir = Path.of("").toAbsolutePath();
        for (int up = 0; up < 4 && dir != null; up++, dir = dir.getParent()) {
            Path p = dir.resolve("shared").resolve("models").resolve(name);
            if (Files.isRegularFile(p.resolve(file))) {
                return Optional.of(p);
            }
            Path q = dir.resolve("..").resolve("shared").resolve("models").resolve(name).normalize();
            if (Files.isRegularFile(q.resolve(file))) {
                return Optional.of(q);
            }
        }
        return Optional.empty();
    }

    /** The folder of {@code name}, or skips the calling test naming what is missing. */
    public static Path require(String name) {
        return require(name, "config.json");
    }

    /**
     * The folder of {@code name} holding {@code file} (a model's {@code config.json}, or {@code vocab.json} for a
     * tokenizer-only folder), or skips the calling test; the skip is also printed to stderr, so a missing folder
     * shows in the build log and not only in the test report.
     */
    public static Path require(String name, String file) {
        Optional<Path> p = find(name, file);
        if (p.isEmpty()) {
            String message = "pretrained model '" + name + "' not found in ../shared/models/" + name + " or "
                    + "$STEER4J_MODELS/" + name + " (no " + file + "); this test needs the real checkpoint";
            System.err.println("WARNING: SKIPPED: " + message);
            Assumptions.assumeTrue(false, message);
        }
        return p.get();
    }
}
