package io.steer4j.djl.steering;

import io.steer4j.core.dataset.ContrastiveDataset;
import io.steer4j.core.dataset.ContrastivePair;
import io.steer4j.core.plan.HookPoint;
import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.core.vector.VectorMethod;
import io.steer4j.djl.TinyModels;
import io.steer4j.djl.model.LanguageModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SteeringVectorComputerTest {
    private static LanguageModel model;
    private static final ContrastiveDataset PAIRS = new ContrastiveDataset("t", List.of(
            new ContrastivePair("I love this wonderful day", "I hate this awful day"),
            new ContrastivePair("great", "terrible and very bad indeed"),
            new ContrastivePair("what a happy and bright morning it is", "what a sad morning"),
            new ContrastivePair("the food was delicious", "the food was disgusting")));

    @BeforeAll
    static void load() {
        model = TinyModels.loadGpt2();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /** Activation of one text alone (no batching, no padding) at resid_post of {@code layer}. */
    private static float[] alone(String text, int layer, ReadPosition read) {
        return new ActivationCapture(model, HookPoint.RESID_POST, read, 1, false)
                .capture(List.of(text), List.of(layer), "x").get(layer)[0];
    }

    @Test
    void meanDifferenceEqualsTheHandComputedDifferenceOfUnpaddedActivations() {
        int layer = 1;
        SteeringVector v = SteeringVectorComputer.builder(model).layers(layer).batchSize(4).build()
                .compute(PAIRS).vector();
        float[] expected = new float[model.hiddenSize()];
        for (ContrastivePair p : PAIRS.pairs()) {
            float[] a = alone(p.positive(), layer, ReadPosition.last());
            float[] b = alone(p.negative(), layer, ReadPosition.last());
            for (int i = 0; i < expected.length; i++) {
                expected[i] += (a[i] - b[i]) / PAIRS.size();
            }
        }
        float[] got = v.direction(layer);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], got[i], 1e-4, "component " + i);
        }
    }

    @Test
    void meanReadPositionIgnoresPadding() {
        List<String> texts = List.of("short", "a considerably longer text with many more tokens in it");
        Map<Integer, float[][]> batched = new ActivationCapture(model, HookPoint.RESID_POST, ReadPosition.mean(), 2,
                false).capture(texts, List.of(0, 2), "x");
        for (int layer : List.of(0, 2)) {
            for (int t = 0; t < texts.size(); t++) {
                float[] a = alone(texts.get(t), layer, ReadPosition.mean());
                for (int i = 0; i < a.length; i++) {
                    assertEquals(a[i], batched.get(layer)[t][i], 1e-4, "layer " + layer + " text " + t);
                }
            }
        }
    }

    @Test
    void aNegativeIndexCountsFromTheEndOfEachExample() {
        String text = "one two three four";
        long[] ids = model.tokenizer().encode(text);
        float[] secondLast = alone(text, 1, ReadPosition.at(-2));
        float[] explicit = alone(text, 1, ReadPosition.at(ids.length - 2));
        for (int i = 0; i < secondLast.length; i++) {
            assertEquals(explicit[i], secondLast[i], 0f);
        }
        assertThrows(IllegalArgumentException.class, () -> alone(text, 1, ReadPosition.at(ids.length)));
    }

    @Test
    void oneCallComputesEveryRequestedLayerWithItsMetadata() {
        SteeringVectorResult r = SteeringVectorComputer.builder(model).method(VectorMethod.PCA_CENTER).build()
                .compute(PAIRS);
        assertEquals(List.of(0, 1, 2), List.copyOf(r.vector().layers()));
        assertEquals("pca_center", r.vector().metadata().method());
        assertEquals("last_token", r.vector().metadata().readPosition());
        assertEquals(PAIRS.size(), r.vector().metadata().datasetSize());
        assertEquals(model.hiddenSize(), r.vector().hiddenSize());
        // PCA signs are chosen so positives project higher on most pairs
        for (int layer : r.vector().layers()) {
            assertTrue(r.pairAccuracy(layer) >= 0.5, "layer " + layer + " accuracy " + r.pairAccuracy(layer));
        }
    }

    @Test
    void theMeanDifferenceSeparatesEveryPairItWasComputedFrom() {
        SteeringVectorResult r = SteeringVectorComputer.builder(model).layers(2).build().compute(
                new ContrastiveDataset("one", List.of(PAIRS.pairs().get(0))));
        assertEquals(1.0, r.pairAccuracy(2));
    }

    @Test
    void aVectorFromTheComputerSteersThroughAPlan() {
        SteeringVector v = SteeringVectorComputer.builder(model).layers(1).build().compute(PAIRS).vector();
        SteeredModel sm = SteeredModel.builder(model).build();
        float[] plain = sm.nextTokenLogProbs("today", SteeringPlan.NONE);
        float[] pushed = sm.nextTokenLogProbs("today", SteeringPlan.of(v, 4.0));
        assertTrue(!java.util.Arrays.equals(plain, pushed));
    }

    @Test
    void anEmptyLayerListOrOutOfRangeLayerIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> SteeringVectorComputer.builder(model).layers(List.of()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SteeringVectorComputer.builder(model).layers(7).build());
        assertTrue(e.getMessage().contains("7") && e.getMessage().contains("3 layers"), e.getMessage());
    }

    @Test
    void aPairLongerThanTheContextIsRefusedNamingThePairAndSide() {
        String tooLong = "word ".repeat(model.config().contextLength() + 8);
        ContrastiveDataset data = new ContrastiveDataset("long", List.of(PAIRS.pairs().get(0),
                new ContrastivePair("fine", tooLong)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SteeringVectorComputer.builder(model).layers(1).build().compute(data));
        assertTrue(e.getMessage().contains("dataset 'long'") && e.getMessage().contains("text #2 of the negatives")
                && e.getMessage().contains("tokens long"), e.getMessage());
    }

    @Test
    void aTextThatCannotFitEvenAtTheLongestTokensIsRefusedByItsLengthInCharacters() {
        String huge = "x".repeat(SteeringVectorComputer.maxTextChars(model) + 1);
        ContrastiveDataset data = new ContrastiveDataset("huge", List.of(new ContrastivePair(huge, "small")));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SteeringVectorComputer.builder(model).layers(1).build().compute(data));
        assertTrue(e.getMessage().contains("text #1 of the positives is " + huge.length() + " characters long"),
                e.getMessage());
    }

    @Test
    void identicalPairsAndAZeroDirectionAreReportedAsWarnings() {
        ContrastiveDataset same = new ContrastiveDataset("same", List.of(new ContrastivePair("a cat", "a cat"),
                new ContrastivePair("a dog", "a dog")));
        java.io.PrintStream err = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        SteeringVector v;
        try {
            // slf4j-simple (the tests' provider) writes to whatever System.err is at the time of the call
            System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
            v = SteeringVectorComputer.builder(model).layers(1).build().compute(same).vector();
        } finally {
            System.setErr(err);
        }
        String log = captured.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(0.0, v.norm(1));
        assertTrue(log.contains("2 of 2 pairs have identical positive and negative texts"), log);
        assertTrue(log.contains("the direction at layer 1 is zero"), log);
    }
}
