package io.steer4j.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.core.vector.VectorMetadata;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.steering.SteeredModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * The article's flow end to end on stories260k with three vectors PyTorch saved (random, fixed, 64-dim; written by
 * src-test-fixtures/python/write_torch_vectors.py with PyTorch's values in article/expected.json): loaded,
 * combined 0.5/0.3/0.2 and applied at layer 2 while generating.
 */
class TorchSavedVectorsTest {
    private static final int LAYER = 2;
    private static final double STRENGTH = 1.0;
    private static final String PROMPT = "Once upon a time";
    private static LanguageModel model;

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

    private static Path folder() throws Exception {
        return Path.of(TorchSavedVectorsTest.class.getResource("/torch-vectors/article").toURI());
    }

    /** The combination computed by hand from PyTorch's values, in double like SteeringVector.weightedSum. */
    private static float[] byHand(JsonNode expected) {
        float[] out = new float[64];
        for (int i = 0; i < 64; i++) {
            double s = 0;
            for (int k = 0; k < 3; k++) {
                s += TorchSavedVectors.WEIGHTS[k]
                        * (float) expected.get(TorchSavedVectors.BEHAVIOURS.get(k)).get(i).doubleValue();
            }
            out[i] = (float) s;
        }
        return out;
    }

    @Test
    void combinedVectorIsTheWeightedSumOfWhatPyTorchSaved() throws Exception {
        JsonNode expected = new ObjectMapper().readTree(folder().resolve("expected.json").toFile());
        TorchSavedVectors.Result r = TorchSavedVectors.run(model, folder(), LAYER, STRENGTH, PROMPT, 4);
        assertEquals(Set.of(LAYER), r.combined().layers());
        assertArrayEquals(byHand(expected), r.combined().direction(LAYER));
        JsonNode torch = expected.get("combined_0.5_0.3_0.2");
        float[] got = r.combined().direction(LAYER);
        for (int i = 0; i < got.length; i++) {
            assertEquals(torch.get(i).doubleValue(), got[i], 1e-6, "PyTorch's float32 sum, index " + i);
        }
    }

    @Test
    void steeredGenerationDiffersAndEqualsApplyingTheHandCombinedVector() throws Exception {
        JsonNode expected = new ObjectMapper().readTree(folder().resolve("expected.json").toFile());
        TorchSavedVectors.Result r = TorchSavedVectors.run(model, folder(), LAYER, STRENGTH, PROMPT, 20);
        assertNotEquals(r.unsteered(), r.steered(), "the combined vector did not change the story");

        SteeringVector hand = new SteeringVector(Map.of(LAYER, byHand(expected)),
                VectorMetadata.builder().hiddenSize(64).build());
        String handSteered = SteeredModel.of(model, SteeringPlan.of(hand, STRENGTH))
                .generate(PROMPT, TorchSavedVectors.config(20)).text();
        assertEquals(handSteered, r.steered());
    }
}
