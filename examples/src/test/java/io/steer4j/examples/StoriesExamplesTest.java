package io.steer4j.examples;

import io.steer4j.core.format.vectorfile.VectorFiles;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.core.vector.VectorMethod;
import io.steer4j.djl.eval.SweepResult;
import io.steer4j.djl.model.LanguageModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every bundled example runs on a real pretrained model, stories260k (Llama, 5 layers × 64, vocabulary 512,
 * SentencePiece tokenizer with BOS), with small settings; skipped, loudly, when the checkpoint is absent.
 * {@link ExamplesTest} runs the same examples on a tiny random GPT-2.
 */
class StoriesExamplesTest {
    private static LanguageModel model;

    @TempDir
    Path tmp;

    @BeforeAll
    static void load() {
        model = LanguageModel.load(TinyModel.requireReal("stories260k"));
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
    }

    @Test
    void computeAndSaveVectorWritesEveryLayer() throws Exception {
        Path out = tmp.resolve("helpfulness.safetensors");
        ComputeAndSaveVector.run(model, out, VectorMethod.MEAN_DIFFERENCE);
        SteeringVector back = VectorFiles.read(out);
        assertEquals(Set.of(0, 1, 2, 3, 4), back.layers());
        assertEquals(64, back.hiddenSize());
    }

    @Test
    void steerGenerationChangesTheStoryBothWays() {
        SteerGeneration.Result r = SteerGeneration.run(model, "Lily went to the park and", 4.0, 16);
        assertEquals(2, r.layer(), "middle layer of 5");
        assertNotEquals(r.unsteered(), r.positive());
        assertNotEquals(r.unsteered(), r.negative());
    }

    @Test
    void combineVectorsSteers() {
        CombineVectors.Result r = CombineVectors.run(model, "Tom said to his mom", 4.0, -2.0, 16);
        assertEquals(Set.of(r.layer()), r.combined().layers());
        assertNotEquals(r.unsteered(), r.steered());
    }

    @Test
    void concurrentUsersGetTheSameTokensWithAndWithoutBatching() throws Exception {
        ConcurrentUsers.Result r = ConcurrentUsers.run(model, 3, 8, 4.0);
        assertTrue(r.identical(), "continuous batching changed a user's tokens");
        assertEquals(3, new java.util.HashSet<>(r.completions()).size(), r.completions().toString());
    }

    @Test
    void multiLayerSteeringSteers() {
        MultiLayerSteering.Result r = MultiLayerSteering.run(model, "The little dog", 1, 3, 6.0, 16);
        assertEquals(List.of(1, 2, 3), List.copyOf(r.pairAccuracy().keySet()));
        assertNotEquals(r.unsteered(), r.steered());
    }

    @Test
    void conditionalSteeringOnlyTouchesMatchingPrompts() {
        for (ConditionalSteering.Row r : ConditionalSteering.run(model, 4.0, 2, 8)) {
            if (r.fired()) {
                assertNotEquals(r.unsteered(), r.output(), "steered: " + r.prompt());
            } else {
                assertEquals(r.unsteered(), r.output(), "plain: " + r.prompt());
            }
        }
    }

    @Test
    void conditionVectorSteeringRuns() {
        ConditionVectorSteering.Outcome o = ConditionVectorSteering.run(model, 4.0, 10, 4, 8);
        assertEquals(5, o.condition().f1ByLayer().size());
        assertEquals(8, o.outputs().size());
    }

    @Test
    void ggufRoundTripIsExact() throws Exception {
        GgufRoundTrip.Result r = GgufRoundTrip.run(model, tmp.resolve("stories.gguf"));
        assertEquals(Set.of(1, 2, 3, 4), r.loaded().layers());
        assertEquals(0.0, r.maxAbsDiff());
    }

    @Test
    void layerSweepUsesTheStoriesDatasetsAndWritesItsTable() throws Exception {
        SweepResult r = LayerSweep.run(model, tmp, 2, new double[] {-2, 0, 2}, 4, 5);
        assertEquals(3 * 3, r.cells().size(), "layers 0, 2, 4 x 3 strengths");
        assertTrue(Files.exists(tmp.resolve("stories-sentiment-eval.json")), "the Llama-family eval items");
        assertEquals(1 + 9, Files.readAllLines(tmp.resolve("sweep.csv")).size());
    }
}
