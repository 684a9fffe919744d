package io.steer4j.djl.eval;

import io.steer4j.core.plan.TokenScope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue 27 row 12: extreme strengths or scores never hang the chart writer; the line plots are skipped instead. */
class SweepChartExtremeValuesTest {
    @TempDir
    Path dir;

    private static SweepResult grid(double strength, double ppl) {
        List<SweepCell> cells = List.of(new SweepCell(0, 0, 0, 10, 0, 0, 100),
                new SweepCell(0, strength, 1, ppl, 1, 1, 100));
        return new SweepResult("m", EvalKind.CONTINUATION, 1, 1, List.of(0), List.of(0.0, strength),
                0, 10, cells, PerplexityBound.DEFAULT, IntendedDirection.INCREASE, TokenScope.all(), null);
    }

    @Test
    void aStrengthOf1e39IsNotPlottedAndLeavesNoFileBehind() throws IOException {
        Path png = dir.resolve("lines.png");

        boolean written = assertTimeoutPreemptively(Duration.ofSeconds(60),
                () -> grid(1e39, 12).writeLinePlots(png));

        assertFalse(written);
        assertFalse(Files.exists(png));
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(0, left.count(), "temporary files left in " + dir);
        }
    }

    @Test
    void aHugePerplexityIsNotPlotted() throws IOException {
        boolean written = assertTimeoutPreemptively(Duration.ofSeconds(60),
                () -> grid(4, 1e300).writeLinePlots(dir.resolve("lines.png")));

        assertFalse(written);
    }

    @Test
    void ordinaryValuesAreStillPlotted() throws IOException {
        Path png = dir.resolve("lines.png");

        assertTrue(grid(8, 30).writeLinePlots(png));

        assertTrue(Files.size(png) > 0);
    }
}
