package io.steer4j.djl.eval;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ContinuationItemTest {
    @TempDir
    Path dir;

    @Test
    void readsTheBundledSentimentEvalSet() throws IOException {
        List<ContinuationItem> items = ContinuationItem.readJson(
                Path.of("../examples/src/main/resources/datasets/sentiment-eval.json"));
        assertEquals(36, items.size());
        assertEquals("The weather today is", items.get(0).prompt());
        assertEquals(" wonderful and sunny", items.get(0).positive());
    }

    @Test
    void aMissingKeyIsNamedWithItsItemIndex() throws IOException {
        Path f = dir.resolve("eval.json");
        Files.writeString(f, "[{\"prompt\":\"a\",\"positive\":\" b\",\"negative\":\" c\"},{\"prompt\":\"a\"}]");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ContinuationItem.readJson(f));
        assertTrue(e.getMessage().contains("item 1") && e.getMessage().contains("\"positive\""), e.getMessage());
    }

    @Test
    void anEmptyArrayIsAnEmptyEvaluationSet() throws IOException {
        Path f = dir.resolve("eval.json");
        Files.writeString(f, "[]");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ContinuationItem.readJson(f));
        assertTrue(e.getMessage().contains("empty"), e.getMessage());
    }

    @Test
    void aBlankPromptIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> new ContinuationItem(" ", " a", " b"));
    }
}
