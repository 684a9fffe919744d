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
            Path q = dir.resolve("..").resolve("shared").resolve("models").resolve(name).normalize();
            if (Files.isRegularFile(q.resolve("config.json"))) {
                return Optional.of(q);
            }
        }
        return Optional.empty();
    }

    /** The folder of {@code name}, or skips the calling test naming what is missing. */
    public static Path require(String name) {
        Optional<Path> p = find(name);
        Assumptions.assumeTrue(p.isPresent(), "pretrained model '" + name + "' not found in ../shared/models/"
                + name + " or $STEER4J_MODELS/" + name + "; this test needs the real checkpoint");
        return p.get();
    }
}
