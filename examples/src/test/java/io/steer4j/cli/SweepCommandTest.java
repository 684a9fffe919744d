package io.steer4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steer4j.core.format.vectorfile.VectorFiles;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.steering.SteeringVectorComputer;
import io.steer4j.examples.ExampleDatasets;
import io.steer4j.examples.TinyModel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import javax.imageio.ImageIO;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code steer4j sweep} end to end on the tiny random GPT-2 (3 layers, hidden 32, context 64). */
class SweepCommandTest {
    private static String model;
    private static Path vector;
    private static Path eval;

    @TempDir
    static Path shared;

    @TempDir
    Path tmp;

    /** Runs the sweep command alone, with the CLI tests' stream capture. */
    static Steer4jCliTest.Run run(String... args) {
        return Steer4jCliTest.run(new CommandLine(new SweepCommand()), args);
    }

    @BeforeAll
    static void setUp() throws Exception {
        model = TinyModel.dir().toString();
        vector = shared.resolve("sentiment.safetensors");
        try (LanguageModel lm = LanguageModel.load(TinyModel.dir())) {
            SteeringVector v = SteeringVectorComputer.builder(lm).build()
                    .compute(ExampleDatasets.load("sentiment.json")).vector();
            VectorFiles.write(v, vector);
        }
        eval = shared.resolve("eval.json");
        Files.writeString(eval, "[{\"prompt\":\"The film was\",\"positive\":\" great\",\"negative\":\" awful\"},"
                + "{\"prompt\":\"Today I feel\",\"positive\":\" happy\",\"negative\":\" sad\"}]");
    }

    @Test
    void writesCsvJsonAndBothPlotsAndPrintsTheTableAndRecommendation() throws Exception {
        Path out = tmp.resolve("out");
        Steer4jCliTest.Run r = run("--model", model, "--vector", vector.toString(), "--layers", "0-2", "--strengths=-4,0,2,4",
                "--eval", eval.toString(), "--out", out.toString(), "--no-progress");
        assertEquals(0, r.code(), r.toString());
        List<String> csv = Files.readAllLines(out.resolve("sweep.csv"));
        assertEquals(1 + 3 * 4, csv.size());
        JsonNode json = new ObjectMapper().readTree(out.resolve("sweep.json").toFile());
        assertEquals(12, json.get("cells").size());
        for (String png : new String[] {"heatmap.png", "lines.png"}) {
            assertNotNull(ImageIO.read(out.resolve(png).toFile()), png);
        }
        assertTrue(r.out().contains("layer  strength"), r.toString());
        assertTrue(r.out().contains("rule: largest positive effect"), r.toString());
        assertTrue(r.out().contains("recommended: "), r.toString());
    }

    @Test
    void computesTheVectorFromADatasetAndUsesTheShippedEvalAndNeutralFiles() throws Exception {
        Path out = tmp.resolve("out");
        Steer4jCliTest.Run r = run("--model", model, "--dataset", "builtin:sentiment.json", "--layers", "1",
                "--strengths", "0,4", "--eval", "builtin:sentiment-eval.json", "--out", out.toString(),
                "--no-progress");
        assertEquals(0, r.code(), r.toString());
        JsonNode json = new ObjectMapper().readTree(out.resolve("sweep.json").toFile());
        assertEquals(36, json.get("items").asInt());
        assertEquals(42, json.get("neutralTexts").asInt());
    }

    @Test
    void sweepsAbItemsFromJsonl() throws Exception {
        Path ab = tmp.resolve("ab.jsonl");
        Files.writeString(ab, "{\"question\":\"Is it red?\\n (A) yes\\n (B) no\",\"answer_matching_behavior\":\"(A)\","
                + "\"answer_not_matching_behavior\":\"(B)\"}\n"
                + "{\"question\":\"Is it big?\\n (A) no\\n (B) yes\",\"answer_matching_behavior\":\"(B)\","
                + "\"answer_not_matching_behavior\":\"(A)\"}\n");
        Path out = tmp.resolve("out");
        Steer4jCliTest.Run r = run("--model", model, "--vector", vector.toString(), "--layers", "2", "--strengths", "0,2",
                "--ab", ab.toString(), "--out", out.toString(), "--no-progress");
        assertEquals(0, r.code(), r.toString());
        JsonNode json = new ObjectMapper().readTree(out.resolve("sweep.json").toFile());
        assertEquals("multiple_choice", json.get("evaluation").asText());
    }

    @Test
    void bothVectorAndDatasetIsAUsageError() {
        Steer4jCliTest.Run r = run("--model", model, "--vector", vector.toString(), "--dataset", "builtin:sentiment.json",
                "--eval", eval.toString(), "--out", tmp.toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("exactly one of --vector"), r.toString());
    }

    @Test
    void noEvaluationSetIsAUsageError() {
        Steer4jCliTest.Run r = run("--model", model, "--vector", vector.toString(), "--out", tmp.toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("exactly one of --eval"), r.toString());
    }

    @Test
    void emptyStrengthsAreAUsageError() {
        Steer4jCliTest.Run r = run("--model", model, "--vector", vector.toString(), "--eval", eval.toString(), "--strengths", ",",
                "--out", tmp.toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("no strengths"), r.toString());
    }

    @Test
    void aLayerOutOfRangeIsAUsageErrorAndWritesNothing() {
        Path out = tmp.resolve("out");
        Steer4jCliTest.Run r = run("--model", model, "--vector", vector.toString(), "--eval", eval.toString(), "--layers", "5",
                "--out", out.toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("layer 5 is out of range"), r.toString());
        assertFalse(Files.exists(out));
    }

    @Test
    void anEmptyEvalFileIsAUsageError() throws Exception {
        Path empty = tmp.resolve("empty.json");
        Files.writeString(empty, "[]");
        Steer4jCliTest.Run r = run("--model", model, "--vector", vector.toString(), "--eval", empty.toString(),
                "--out", tmp.resolve("out").toString());
        assertTrue(r.code() != 0, r.toString());
        assertTrue(r.err().contains("evaluation set is empty"), r.toString());
    }

    @Test
    void anOutputFolderThatCannotBeCreatedIsRefusedBeforeAnyWorkByItsOwnName() throws Exception {
        Path file = tmp.resolve("a-file");
        Files.writeString(file, "x");
        Path out = file.resolve("sweep-out");
        Steer4jCliTest.Run r = run("--model", model, "--vector", vector.toString(), "--layers", "0",
                "--strengths", "0,2", "--eval", eval.toString(), "--out", out.toString(), "--no-progress");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("--out " + out + " cannot be created: " + file + " is a file"), r.toString());
        assertFalse(r.out().contains("layer  strength"), "no cell may run before the check: " + r);
    }
}
