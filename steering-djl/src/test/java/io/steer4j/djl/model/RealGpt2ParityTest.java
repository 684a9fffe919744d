package io.steer4j.djl.model;

import io.steer4j.djl.RealModels;
import io.steer4j.fixtures.Goldens;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Parity on the real pretrained checkpoints in {@code ../shared/models/} against the independent PyTorch
 * reference: goldens are computed at test time by {@code src-test-fixtures/python/make_goldens.py} (float64),
 * which needs Debian's python3-torch ({@code .ci/run} installs it when a checkpoint is present). Skipped with a
 * message naming what is missing otherwise.
 */
class RealGpt2ParityTest {
    private static final double TOL = 1e-3;
    private static Path model;
    private static Goldens goldens;

    /** Computes the goldens once; every test calls it so a missing model or python shows as a named skip. */
    private static synchronized void computeGoldens() throws Exception {
        model = RealModels.require("gpt2");
        if (goldens != null) {
            return;
        }
        Path python = Path.of(System.getenv().getOrDefault("STEER4J_PYTHON", "/usr/bin/python3"));
        Path script = findUp("src-test-fixtures/python/make_goldens.py");
        Assumptions.assumeTrue(Files.isExecutable(python), "no python at " + python + " (set STEER4J_PYTHON)");
        Process check = new ProcessBuilder(python.toString(), "-c", "import torch").redirectErrorStream(true).start();
        Assumptions.assumeTrue(check.waitFor() == 0, python + " has no torch: apt-get install python3-torch");
        Path out = Files.createTempFile("gpt2-goldens", ".json");
        Process p = new ProcessBuilder(python.toString(), script.toString(), model.toString(), out.toString(), "--compact")
                .inheritIO().start();
        if (!p.waitFor(20, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IllegalStateException("make_goldens.py failed on " + model);
        }
        try (InputStream in = Files.newInputStream(out)) {
            goldens = Goldens.read(in);
        }
        Files.deleteIfExists(out);
    }

    private static Path findUp(String rel) {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null) {
            if (Files.exists(dir.resolve(rel))) {
                return dir.resolve(rel);
            }
            dir = dir.getParent();
        }
        throw new IllegalStateException(rel + " not found above the working directory");
    }

    @Test
    void hiddenStatesAtEveryLayerAndLogitsMatchTheReference() throws Exception {
        computeGoldens();
        Gpt2ParityTest.checkActivationsAndLogits(goldens, model, false, TOL, "gpt2");
    }

    @Test
    void greedyContinuationsMatchTheReference() throws Exception {
        computeGoldens();
        Gpt2ParityTest.checkGreedy(goldens, model, "gpt2");
    }
}
