package io.steer4j.cli;

import io.steer4j.core.format.vectorfile.VectorFiles;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.core.vector.VectorMetadata;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static io.steer4j.cli.Steer4jCliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code embed} and {@code fill-mask} on the real all-MiniLM-L6-v2 (../shared/models). */
class EncoderCommandsTest {
    private static String miniLm;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void find() {
        miniLm = SharedModels.require("all-minilm-l6-v2").toString();
    }

    @Test
    void embedPrintsOneUnitLengthVectorPerText() {
        Steer4jCliTest.Run r = run("embed", "--model", miniLm, "The cat sat on the mat.", "Stocks fell.");
        assertEquals(0, r.code(), r.toString());
        String[] lines = r.out().strip().split("\n");
        assertEquals(2, lines.length);
        for (String line : lines) {
            String[] values = line.split(" ");
            assertEquals(384, values.length);
            double norm = 0;
            for (String v : values) {
                norm += Math.pow(Double.parseDouble(v), 2);
            }
            assertEquals(1.0, Math.sqrt(norm), 1e-4);
        }
    }

    @Test
    void compareRanksTheParaphraseAboveTheUnrelatedSentence() {
        Steer4jCliTest.Run r = run("embed", "--model", miniLm, "--compare", "The cat sat on the mat.",
                "A kitten was sitting on the rug.", "Quarterly revenue rose sharply, beating expectations.");
        assertEquals(0, r.code(), r.toString());
        String[] rows = r.out().strip().split("\n");
        assertEquals(3, rows.length);
        String[] first = rows[0].split("\t");
        assertEquals("1.0000", first[0]);
        assertEquals(first[1], rows[1].split("\t")[0], "symmetric");
        assertTrue(Double.parseDouble(first[1]) > Double.parseDouble(first[2]) + 0.3, r.out());
    }

    @Test
    void aVectorWithStrengthAndLayerChangesTheEmbedding() throws Exception {
        Steer4jCliTest.Run plain = run("embed", "--model", miniLm, "Great food!");
        float[] dir = new float[384];
        String[] values = plain.out().strip().split(" ");
        for (int i = 0; i < dir.length; i++) {
            dir[i] = -Float.parseFloat(values[i]);
        }
        Path v = tmp.resolve("away.safetensors");
        VectorFiles.write(new SteeringVector(Map.of(2, dir, 3, dir),
                VectorMetadata.builder().hiddenSize(384).build()), v);
        Steer4jCliTest.Run steered = run("embed", "--model", miniLm, "--vector", v.toString(), "--strength", "4",
                "--layer", "3", "Great food!");
        assertEquals(0, steered.code(), steered.toString());
        assertNotEquals(plain.out(), steered.out());
        Steer4jCliTest.Run badLayer = run("embed", "--model", miniLm, "--vector", v.toString(), "--layer", "6",
                "Great food!");
        assertEquals(2, badLayer.code(), badLayer.toString());
        assertTrue(badLayer.err().contains("layer 6"), badLayer.toString());
    }

    @Test
    void sweepWithAnEmbeddingEffectPrintsOneRowPerCellAndWritesCsv() throws Exception {
        Path data = tmp.resolve("pairs.json");
        Files.writeString(data, "[{\"positive\": \"I loved it, wonderful.\", \"negative\": \"I hated it, awful.\"},"
                + "{\"positive\": \"A delightful day.\", \"negative\": \"A miserable day.\"}]");
        Path eval = tmp.resolve("embed-eval.json");
        Files.writeString(eval, "{\"texts\": [\"The train leaves at nine.\", \"She ordered a coffee.\"],"
                + " \"positive\": [\"Superb, I am very happy.\"], \"negative\": [\"Shoddy, I am very unhappy.\"]}");
        Path out = tmp.resolve("sweep-embed");
        Steer4jCliTest.Run r = run("sweep", "--model", miniLm, "--dataset", data.toString(), "--layers", "4,5",
                "--strengths=-4,0,4", "--embed-eval", eval.toString(), "--out", out.toString(), "--no-progress");
        assertEquals(0, r.code(), r.toString());
        java.util.List<String> csv = Files.readAllLines(out.resolve("sweep.csv"));
        assertEquals("layer,strength,effect,drift", csv.get(0));
        assertEquals(7, csv.size(), "header and 2 x 3 cells");
        double low = Double.parseDouble(csv.get(4).split(",")[2]);
        double high = Double.parseDouble(csv.get(6).split(",")[2]);
        assertTrue(high > low, "at layer 5 strength +4 moves toward the positive pole more than -4: " + csv);
        Steer4jCliTest.Run noEval = run("sweep", "--model", miniLm, "--dataset", data.toString(), "--out",
                out.toString());
        assertEquals(2, noEval.code(), noEval.toString());
    }

    @Test
    void fillMaskOnAModelWithoutTheMaskedLmHeadIsAUsageError() {
        Steer4jCliTest.Run r = run("fill-mask", "--model", miniLm, "Paris is the [MASK] of France.");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("masked-LM head"), r.toString());
    }

    @Test
    void embedWithoutTextIsAUsageError() {
        Steer4jCliTest.Run r = run("embed", "--model", miniLm);
        assertEquals(2, r.code(), r.toString());
        assertTrue(Files.isDirectory(Path.of(miniLm)));
    }
}
