package io.steer4j.core.dataset;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Datasets crafted to exhaust the JSON parser fail as {@link DatasetFormatException} naming file and line. */
class HostileDatasetTest {
    private static final int DEPTH = 1_000_000;

    @TempDir
    Path dir;

    @Test
    void deeplyNestedJsonIsAFormatErrorWithFileAndLine() throws IOException {
        Path file = dir.resolve("deep.json");
        Files.writeString(file, "[\n{\"positive\": \"a\", \"negative\": \"b\"},\n{\"positive\": " + "[".repeat(DEPTH));

        DatasetFormatException e = assertThrows(DatasetFormatException.class, () -> ContrastiveDatasets.load(file));

        assertEquals(3, e.line(), e.getMessage());
        assertTrue(e.getMessage().contains("deep.json:3") && e.getMessage().contains("nesting depth"), e.getMessage());
    }

    @Test
    void deeplyNestedJsonLinesIsAFormatErrorWithFileAndLine() throws IOException {
        Path file = dir.resolve("deep.jsonl");
        Files.writeString(file, "{\"positive\": \"a\", \"negative\": \"b\"}\n{\"positive\": " + "[".repeat(DEPTH) + "\n");

        DatasetFormatException e = assertThrows(DatasetFormatException.class, () -> ContrastiveDatasets.load(file));

        assertEquals(2, e.line(), e.getMessage());
        assertTrue(e.getMessage().contains("nesting depth"), e.getMessage());
    }
}
