package io.steer4j.djl.eval;

import io.steer4j.core.dataset.ContrastiveDataset;
import io.steer4j.core.dataset.ContrastivePair;
import io.steer4j.core.dataset.MultipleChoiceItem;
import io.steer4j.core.eval.AbChoice;
import io.steer4j.core.eval.KlDivergence;
import io.steer4j.core.eval.Perplexity;
import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.core.plan.TokenScope;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.djl.TinyModels;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.steering.SteeredModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static io.steer4j.djl.eval.SweepFixtures.AB;
import static io.steer4j.djl.eval.SweepFixtures.ITEMS;
import static io.steer4j.djl.eval.SweepFixtures.NEUTRAL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SweepRunnerTest {
    private static LanguageModel model;
    private static SteeringVector big;

    @BeforeAll
    static void load() {
        model = TinyModels.loadGpt2();
        big = SweepFixtures.randomVector(model.numLayers(), model.hiddenSize(), 4.0, 1);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static SweepRunner.Builder sweep() {
        return SweepRunner.builder(model).vector(big).continuationItems(ITEMS).neutralTexts(NEUTRAL);
    }

    @Test
    void strengthZeroGivesExactlyZeroEffectAndZeroKl() {
        SweepResult r = sweep().strengths(-2, 0, 2).build().run();
        for (int layer : r.layers()) {
            SweepCell c = r.cell(layer, 0).orElseThrow();
            assertEquals(0.0, c.effect());
            assertEquals(0.0, c.kl());
            assertEquals(r.baselinePerplexity(), c.perplexity());
            assertEquals(1.0, c.perplexityRatio());
        }
    }

    @Test
    void strengthZeroGivesExactlyZeroEffectAndZeroKlForAbItems() {
        SweepResult r = SweepRunner.builder(model).vector(big).multipleChoiceItems(AB).neutralTexts(NEUTRAL)
                .strengths(0, 4).build().run();
        assertEquals(EvalKind.MULTIPLE_CHOICE, r.evalKind());
        for (int layer : r.layers()) {
            assertEquals(0.0, r.cell(layer, 0).orElseThrow().effect());
            assertEquals(0.0, r.cell(layer, 0).orElseThrow().kl());
        }
    }

    @Test
    void klGrowsMonotonicallyWithAbsoluteStrengthAtEveryLayer() {
        double[] positive = {0, 1, 2, 4, 8};
        SweepResult r = sweep().strengths(-8, -4, -2, -1, 0, 1, 2, 4, 8).build().run();
        for (int layer : r.layers()) {
            for (int sign : new int[] {1, -1}) {
                double previous = -1;
                for (double s : positive) {
                    double kl = r.cell(layer, sign * s == 0 ? 0 : sign * s).orElseThrow().kl();
                    assertTrue(kl > previous, "KL at layer " + layer + " strength " + sign * s + " is " + kl
                            + ", not above the previous " + previous);
                    previous = kl;
                }
            }
        }
    }

    @Test
    void effectMagnitudeGrowsWithStrengthInTheNearLinearRegime() {
        // A smooth network responds linearly to a small push, so |effect| doubles with the strength there; far
        // from 0 a random tiny model saturates, so only small strengths are asserted.
        double[] ss = {0.05, 0.1, 0.2};
        SweepResult r = sweep().strengths(-0.2, -0.1, -0.05, 0, 0.05, 0.1, 0.2).build().run();
        for (int layer : r.layers()) {
            for (int sign : new int[] {1, -1}) {
                double previous = 0;
                for (double s : ss) {
                    double e = Math.abs(r.cell(layer, sign * s).orElseThrow().effect());
                    assertTrue(e > previous, "|effect| at layer " + layer + " strength " + sign * s + " is " + e
                            + ", not above " + previous);
                    previous = e;
                }
            }
            // ... and opposite strengths push the behaviour opposite ways.
            double up = r.cell(layer, 0.05).orElseThrow().effect();
            double down = r.cell(layer, -0.05).orElseThrow().effect();
            assertTrue(up * down < 0, "effects " + up + " and " + down + " at layer " + layer + " share a sign");
        }
    }

    @Test
    void cellsMatchScoringThroughSteeredModel() {
        int layer = 1;
        double strength = 3;
        SweepResult r = sweep().layers(layer).strengths(0, strength).batchSize(3).build().run();
        SteeredModel ref = SteeredModel.builder(model).build();
        SteeringPlan plan = SteeringPlan.atLayers(big, strength, layer);
        double effect = 0;
        double kl = 0;
        for (ContinuationItem it : ITEMS) {
            effect += ref.continuationLogProb(it.prompt(), it.positive(), plan)
                    - ref.continuationLogProb(it.prompt(), it.negative(), plan)
                    - ref.continuationLogProb(it.prompt(), it.positive(), SteeringPlan.NONE)
                    + ref.continuationLogProb(it.prompt(), it.negative(), SteeringPlan.NONE);
            kl += KlDivergence.fromLogits(ref.nextTokenLogProbs(it.prompt(), SteeringPlan.NONE),
                    ref.nextTokenLogProbs(it.prompt(), plan));
        }
        SweepCell c = r.cell(layer, strength).orElseThrow();
        assertEquals(effect / ITEMS.size(), c.effect(), 1e-4);
        assertEquals(kl / ITEMS.size(), c.kl(), 1e-5);
        assertEquals(referencePerplexity(ref, plan), c.perplexity(), 1e-3 * c.perplexity());
        assertEquals(referencePerplexity(ref, SteeringPlan.NONE), r.baselinePerplexity(),
                1e-3 * r.baselinePerplexity());
    }

    /** Pooled perplexity of the neutral texts, each scored as its first token + the rest. */
    private static double referencePerplexity(SteeredModel ref, SteeringPlan plan) {
        List<Double> all = new ArrayList<>();
        for (String text : NEUTRAL) {
            long[] ids = model.tokenizer().encode(text);
            String head = model.tokenizer().decode(new long[] {ids[0]});
            String tail = model.tokenizer().decode(Arrays.copyOfRange(ids, 1, ids.length));
            assertEquals(ids.length - 1, model.tokenizer().encode(tail).length, "fixture text splits cleanly");
            for (double d : ref.continuationLogProbs(head, tail, plan)) {
                all.add(d);
            }
        }
        return Perplexity.fromLogProbs(all.stream().mapToDouble(Double::doubleValue).toArray());
    }

    @Test
    void abEffectIsTheChangeInMatchingLetterProbability() {
        int layer = 2;
        double strength = -4;
        SweepResult r = SweepRunner.builder(model).vector(big).multipleChoiceItems(AB).neutralTexts(NEUTRAL)
                .layers(layer).strengths(strength).build().run();
        SteeredModel ref = SteeredModel.builder(model).build();
        SteeringPlan plan = SteeringPlan.atLayers(big, strength, layer);
        double base = 0;
        double steered = 0;
        for (MultipleChoiceItem it : AB) {
            String prompt = it.question() + "\n(";
            int match = (int) model.tokenizer().encode(it.answerMatchingBehavior().substring(1, 2))[0];
            int other = (int) model.tokenizer().encode(it.answerNotMatchingBehavior().substring(1, 2))[0];
            float[] b = ref.nextTokenLogProbs(prompt, SteeringPlan.NONE);
            float[] s = ref.nextTokenLogProbs(prompt, plan);
            base += AbChoice.probabilityOfA(b[match], b[other]);
            steered += AbChoice.probabilityOfA(s[match], s[other]);
        }
        assertEquals(base / AB.size(), r.baselineScore(), 1e-5);
        assertEquals((steered - base) / AB.size(), r.cell(layer, strength).orElseThrow().effect(), 1e-5);
    }

    @Test
    void generatedOnlyScopeLeavesTheNextTokenDistributionAfterThePromptUntouched() {
        SweepResult r = sweep().layers(1).strengths(4).scope(TokenScope.generatedOnly()).build().run();
        SweepCell c = r.cell(1, 4).orElseThrow();
        assertEquals(0.0, c.kl(), 1e-6);
        assertNotEquals(0.0, c.effect());
    }

    @Test
    void aDatasetGivesOneVectorDirectionPerSweptLayer() {
        ContrastiveDataset ds = new ContrastiveDataset("tiny", List.of(
                new ContrastivePair("the film was good", "the film was bad"),
                new ContrastivePair("a nice day", "a sad day")));
        SweepResult r = SweepRunner.builder(model).dataset(ds).layers(0, 2).strengths(0, 1)
                .continuationItems(ITEMS).neutralTexts(NEUTRAL).build().run();
        assertEquals(List.of(0, 2), List.copyOf(r.vector().layers()));
        assertEquals(4, r.cells().size());
    }

    @Test
    void layersDefaultToTheVectorsLayersAndStrengthsAreSortedAndDeduplicated() {
        SweepRunner runner = sweep().strengths(4, 0, -1, 4, -0.0).build();
        assertEquals(List.of(0, 1, 2), runner.layers());
        assertEquals(List.of(-1.0, 0.0, 4.0), runner.strengths());
    }

    @Test
    void eachNonZeroCellCostsOneForwardPassPerBatchAfterOneBaseline() {
        // 4 items x 2 continuations + 4 neutral texts = 12 rows = 2 batches of 8.
        SweepRunner runner = sweep().strengths(-1, 0, 1, 2).build();
        assertEquals(2L * (1 + 3 * 3), runner.forwardPasses());
    }

    @Test
    void emptyStrengthsAreRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> sweep().strengths().build());
        assertTrue(e.getMessage().contains("no strengths"), e.getMessage());
    }

    @Test
    void aNanStrengthIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> sweep().strengths(1, Double.NaN).build());
        assertTrue(e.getMessage().contains("NaN"), e.getMessage());
    }

    @Test
    void aLayerOutOfRangeIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> sweep().layers(1, 3).strengths(1).build());
        assertTrue(e.getMessage().contains("layer 3 is out of range") && e.getMessage().contains("3 layers"),
                e.getMessage());
    }

    @Test
    void aLayerTheVectorLacksIsRejected() {
        SteeringVector only0 = new SteeringVector(java.util.Map.of(0, big.direction(0)), big.metadata());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> sweep().vector(only0).layers(1).strengths(1).build());
        assertTrue(e.getMessage().contains("no direction for layer 1"), e.getMessage());
    }

    @Test
    void anEmptyEvalSetIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> sweep().continuationItems(List.of()).strengths(1).build());
        assertTrue(e.getMessage().contains("evaluation set is empty"), e.getMessage());
    }

    @Test
    void aMissingEvalSetIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SweepRunner.builder(model).vector(big).neutralTexts(NEUTRAL).strengths(1).build());
        assertTrue(e.getMessage().contains("no evaluation set"), e.getMessage());
    }

    @Test
    void aMissingVectorIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SweepRunner.builder(model).continuationItems(ITEMS).neutralTexts(NEUTRAL).strengths(1).build());
        assertTrue(e.getMessage().contains("no steering vector"), e.getMessage());
    }

    @Test
    void aVectorOfTheWrongHiddenSizeIsRejected() {
        SteeringVector wide = SweepFixtures.randomVector(3, 48, 1.0, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> sweep().vector(wide).strengths(1).build());
        assertTrue(e.getMessage().contains("hidden size 48"), e.getMessage());
    }

    @Test
    void noNeutralTextsAreRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> sweep().neutralTexts(List.of()).strengths(1).build());
        assertTrue(e.getMessage().contains("neutral"), e.getMessage());
    }

    @Test
    void abAnswersWithoutALetterAreRejected() {
        List<MultipleChoiceItem> bad = List.of(new MultipleChoiceItem("q?", "Yes", "No"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SweepRunner.builder(model).vector(big).multipleChoiceItems(bad).neutralTexts(NEUTRAL)
                        .strengths(1).build());
        assertTrue(e.getMessage().contains("answer letter"), e.getMessage());
    }
}
