package io.steer4j.cli;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Test helper: a pretrained model folder from {@code $STEER4J_MODELS/<name>} or {@code ../shared/models/<name>}
 * (searched upwards); tests needing one are skipped, loudly, when it is absent (CI has them).
 */
final class SharedModels {
    private SharedModels() {
    }

    static Path require(String name) {
        String env = System.getenv("STEER4J_MODELS");
        if (env != null && Files.isRegularFile(Path.of(env, name, "config.json"))) {
            return Path.of(env, name);
        }
        Path dir = Path.of("").toAbsolutePath();
        for (int up = 0; up < 4 && dir != null; up++, dir = dir.getParent()) {
            for (Path p : new Path[] {dir.resolve("shared/models").resolve(name),
                    dir.resolve("../shared/models").resolve(name).normalize()}) {
                if (Files.isRegularFile(p.resolve("config.json"))) {
                    return p;
                }
            }
        }
        String message = "pretrained model '" + name + "' not found in ../shared/models or $STEER4J_MODELS";
        System.err.println("WARNING: SKIPPED: " + message);
        Assumptions.assumeTrue(false, message);
        return null;
    }
}
