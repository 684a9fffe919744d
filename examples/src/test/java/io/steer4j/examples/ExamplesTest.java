package io.steer4j.examples;

import io.steer4j.core.dataset.ContrastiveDataset;
import io.steer4j.core.format.vectorfile.VectorFiles;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.core.vector.VectorMethod;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.steering.SteeringVectorResult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs every example on the tiny random GPT-2 (3 layers, hidden 32) with small settings. */
class ExamplesTest {
    private static LanguageModel model;

    @TempDir
    Path tmp;

    @BeforeAll
    static void load() {
        model = LanguageModel.load(TinyModel.dir());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void shippedDatasetsLoad() {
        assertEquals(70, ExampleDatasets.load("sentiment.json").size());
        assertEquals(68, ExampleDatasets.load("formality.json").size());
        ContrastiveDataset help = ExampleDatasets.load("helpfulness.json", "helpful");
        assertEquals(64, help.size());
        assertTrue(help.positives().get(0).contains("Place the egg"), "positive side is the helpful list");
        assertEquals(34, ExampleDatasets.load("ab-sycophancy.jsonl").size());
        assertEquals(32, ExampleDatasets.load("conditional-prompts.json", "harmful_like").size());
        assertEquals(42, ExampleDatasets.lines("neutral.txt").size());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ExampleDatasets.load("nope.json"));
        assertTrue(e.getMessage().contains("nope.json"), e.getMessage());
    }

    @Test
    void computeAndSaveVectorWritesAReadableFile() throws Exception {
        Path out = tmp.resolve("helpfulness.safetensors");
        SteeringVectorResult r = ComputeAndSaveVector.run(model, out, VectorMethod.MEAN_DIFFERENCE);
        SteeringVector back = VectorFiles.read(out);
        assertEquals(Set.of(0, 1, 2), back.layers());
        assertEquals(32, back.hiddenSize());
        assertEquals(r.vector(), back, "the file holds exactly the computed vector");
        assertEquals("mean_difference", back.metadata().method());
        assertEquals("helpfulness", back.metadata().notes().get("dataset"));
        for (int l : back.layers()) {
            double acc = r.pairAccuracy(l);
            assertTrue(acc >= 0 && acc <= 1, "pair accuracy " + acc);
            assertTrue(back.norm(l) > 0);
        }
    }

    @Test
    void computeAndSaveVectorToGgufDropsLayerZero() throws Exception {
        Path out = tmp.resolve("helpfulness.gguf");
        ComputeAndSaveVector.run(model, out, VectorMethod.PCA_DIFF);
        SteeringVector back = VectorFiles.read(out);
        assertEquals(Set.of(1, 2), back.layers());
        assertEquals(1.0, back.norm(1), 1e-5, "pca_diff directions are unit length");
    }

    @Test
    void steerGenerationChangesTheTextAndZeroStrengthDoesNot() {
        SteerGeneration.Result r = SteerGeneration.run(model, "I went to the park", 30.0, 8);
        assertEquals(1, r.layer(), "middle layer of a 3-layer model");
        assertNotEquals(r.unsteered(), r.positive());
        assertNotEquals(r.unsteered(), r.negative());
        assertNotEquals(r.positive(), r.negative());
        SteerGeneration.Result zero = SteerGeneration.run(model, "I went to the park", 0.0, 8);
        assertEquals(zero.unsteered(), zero.positive());
        assertEquals(r.unsteered(), zero.unsteered(), "greedy decoding is deterministic");
    }

    @Test
    void combineVectorsIsTheWeightedSum() {
        CombineVectors.Result r = CombineVectors.run(model, "Hey, about the meeting", 20.0, -10.0, 8);
        SteeringVector s = Examples.sentimentVector(model, r.layer());
        assertTrue(Math.abs(r.cosine()) <= 1.0 + 1e-9);
        assertEquals(Set.of(r.layer()), r.combined().layers());
        assertEquals("composite", r.combined().metadata().method());
        // combined - 20·sentiment = -10·formality, which is non-zero, so the vectors differ
        assertTrue(r.combined().minus(s.times(20)).norm(r.layer()) > 0);
        assertNotEquals(r.unsteered(), r.steered());
    }

    @Test
    void concurrentUsersGetTheSameTokensWithAndWithoutBatching() throws Exception {
        ConcurrentUsers.Result r = ConcurrentUsers.run(model, 6, 8, 30.0);
        assertEquals(6, r.completions().size());
        assertTrue(r.identical(), "continuous batching changed a user's tokens");
        // users 0, 1, 2 share an opening: cheerful, gloomy and plain must differ pairwise
        assertEquals(3, new java.util.HashSet<>(r.completions().subList(0, 3)).size(), r.completions().toString());
        assertTrue(r.serialTokensPerS() > 0 && r.batchedTokensPerS() > 0);
    }

    @Test
    void multiLayerSteeringSplitsTheStrength() {
        MultiLayerSteering.Result r = MultiLayerSteering.run(model, "My week at work was", 0, 2, 60.0, 8);
        assertEquals(List.of(0, 1, 2), List.copyOf(r.pairAccuracy().keySet()));
        assertEquals(20.0, r.strengthPerLayer(), 1e-12);
        assertNotEquals(r.unsteered(), r.steered());
    }

    @Test
    void conditionalSteeringOnlyTouchesMatchingPrompts() {
        List<ConditionalSteering.Row> rows = ConditionalSteering.run(model, 30.0, 2, 8);
        assertEquals(4, rows.size());
        assertEquals(2, rows.stream().filter(ConditionalSteering.Row::fired).count());
        for (ConditionalSteering.Row r : rows) {
            if (r.fired()) {
                assertNotEquals(r.unsteered(), r.output(), "steered: " + r.prompt());
            } else {
                assertEquals(r.unsteered(), r.output(), "a prompt without keywords runs the plain model: "
                        + r.prompt());
            }
        }
    }

    @Test
    void ggufRoundTripIsExact() throws Exception {
        GgufRoundTrip.Result r = GgufRoundTrip.run(model, tmp.resolve("sentiment.gguf"));
        assertTrue(Files.size(r.file()) > 0);
        assertEquals(Set.of(1, 2), r.loaded().layers());
        assertEquals(0.0, r.maxAbsDiff());
        assertEquals("gguf", r.loaded().metadata().notes().get("source_format"));
    }

    @Test
    void mainRunsWithAModelFolder() throws Exception {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            SteerGeneration.main(new String[] {TinyModel.dir().toString(), "10", "4"});
            GgufRoundTrip.main(new String[] {TinyModel.dir().toString(), tmp.resolve("m.gguf").toString()});
        } finally {
            System.setOut(old);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("layer 1, strength 10.0"), out);
        assertTrue(out.contains("max |difference| 0.0"), out);
        assertTrue(Files.exists(tmp.resolve("m.gguf")));
    }

    @Test
    void layerSweepWritesItsTableAndPlotsAndRecommendsACellWithinTheBound() throws Exception {
        io.steer4j.djl.eval.SweepResult r = LayerSweep.run(model, tmp, 1, new double[] {0, 2, 4}, 4, 5);
        assertEquals(model.numLayers() * 3, r.cells().size());
        for (String f : new String[] {"sweep.csv", "heatmap.png", "lines.png"}) {
            assertTrue(java.nio.file.Files.size(tmp.resolve(f)) > 0, f);
        }
        assertEquals(1 + model.numLayers() * 3, java.nio.file.Files.readAllLines(tmp.resolve("sweep.csv")).size());
        assertTrue(r.recommendation().toString().length() > 0);
    }

    @Test
    void conditionVectorSteeringLearnsAConditionAndReportsHeldOutF1() {
        ConditionVectorSteering.Outcome o = ConditionVectorSteering.run(model, 4.0, 10, 4, 3);
        assertTrue(o.condition().layer() >= 0 && o.condition().layer() < model.numLayers());
        assertEquals(model.numLayers(), o.condition().f1ByLayer().size());
        assertTrue(o.heldOutF1() >= 0 && o.heldOutF1() <= 1);
        assertEquals(8, o.outputs().size());
        for (String[] row : o.outputs()) {
            assertTrue(row[1].equals("steered") || row[1].equals("plain"));
        }
    }
}
