package io.steer4j.djl.encoder;

import io.steer4j.core.plan.HookPoint;
import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.core.vector.ActivationMatrix;
import io.steer4j.core.vector.ConceptSubspace;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.djl.RealModels;
import io.steer4j.djl.model.EncoderModel;
import io.steer4j.djl.steering.ReadPosition;
import io.steer4j.djl.steering.SteeredEncoder;
import io.steer4j.djl.steering.SteeringVectorComputer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.steer4j.djl.encoder.SentimentData.HELD_OUT_NEGATIVE;
import static io.steer4j.djl.encoder.SentimentData.HELD_OUT_POSITIVE;
import static io.steer4j.djl.encoder.SteeringSemantics.cosine;
import static io.steer4j.djl.encoder.SteeringSemantics.mean;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Steering semantics on the real all-MiniLM-L6-v2. A sentiment vector is computed from tuning review pairs; the
 * layer and strength are chosen on tuning sentences only; the assertions use held-out sentences (SentimentData).
 */
class MiniLmSteeringSemanticsTest {
    private static EncoderModel model;
    private static SteeredEncoder encoder;
    private static SteeringVector sentiment;

    @BeforeAll
    static void load() {
        model = EncoderModel.load(RealModels.require("all-minilm-l6-v2"));
        encoder = SteeredEncoder.of(model);
        sentiment = SteeringVectorComputer.builder(model).readPosition(ReadPosition.mean()).build()
                .compute(SentimentData.TUNING_PAIRS).vector();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /** Mean over texts of cos(e, positive pole) - cos(e, negative pole). */
    private static double poleScore(List<String> texts, SteeringPlan plan, float[] pos, float[] neg) {
        float[][] e = encoder.embed(texts, plan);
        double s = 0;
        for (float[] v : e) {
            s += (cosine(v, pos) - cosine(v, neg)) / e.length;
        }
        return s;
    }

    /** Spearman between the pairs' cosine similarities without and with {@code plan}. */
    private static double rankingSpearman(List<String[]> pairs, SteeringPlan plan) {
        return SteeringSemantics.spearman(pairCosines(pairs, SteeringPlan.NONE), pairCosines(pairs, plan));
    }

    private static double[] pairCosines(List<String[]> pairs, SteeringPlan plan) {
        List<String> texts = pairs.stream().flatMap(p -> java.util.stream.Stream.of(p)).toList();
        float[][] e = encoder.embed(texts, plan);
        double[] out = new double[pairs.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = cosine(e[2 * i], e[2 * i + 1]);
        }
        return out;
    }

    @Test
    void contrastiveVectorMovesHeldOutEmbeddingsTowardItsPoleMonotonicallyWhileKeepingTheSimilarityRanking() {
        // choose layer and strength on tuning data only
        float[] tunePos = mean(encoder.embed(SentimentData.TUNING_PAIRS.positives(), SteeringPlan.NONE));
        float[] tuneNeg = mean(encoder.embed(SentimentData.TUNING_PAIRS.negatives(), SteeringPlan.NONE));
        double[] strengths = {1, 2, 4, 8, 16};
        int bestLayer = -1;
        double bestStrength = 0;
        double bestShift = Double.NEGATIVE_INFINITY;
        double base = poleScore(SentimentData.TUNING_NEUTRAL, SteeringPlan.NONE, tunePos, tuneNeg);
        for (int layer = 0; layer < model.numLayers(); layer++) {
            for (double s : strengths) {
                SteeringPlan plan = SteeringPlan.atLayers(sentiment, s, layer);
                double shift = poleScore(SentimentData.TUNING_NEUTRAL, plan, tunePos, tuneNeg) - base;
                double rho = rankingSpearman(SentimentData.TUNING_PAIRS_RANKING, plan);
                System.out.printf("tuning layer %d strength %.0f: shift %.4f rho %.3f%n", layer, s, shift, rho);
                if (rho >= 0.9 && shift > bestShift) {
                    bestShift = shift;
                    bestLayer = layer;
                    bestStrength = s;
                }
            }
        }
        assertTrue(bestLayer >= 0, "some tuning setting keeps the tuning ranking");
        System.out.printf("MiniLM sentiment vector: chosen on tuning data layer %d, strength %.0f%n", bestLayer,
                bestStrength);

        // held-out: poles from held-out reviews, neutral held-out sentences steered
        float[] pos = mean(encoder.embed(HELD_OUT_POSITIVE, SteeringPlan.NONE));
        float[] neg = mean(encoder.embed(HELD_OUT_NEGATIVE, SteeringPlan.NONE));
        double previous = Double.NEGATIVE_INFINITY;
        System.out.println("strength\tpole score (held-out neutral)\tSpearman (held-out pairs)");
        for (double f : new double[] {0, 0.25, 0.5, 0.75, 1}) {
            double s = f * bestStrength;
            SteeringPlan plan = SteeringPlan.atLayers(sentiment, s, bestLayer);
            double score = poleScore(SentimentData.HELD_OUT_NEUTRAL, plan, pos, neg);
            double rho = rankingSpearman(SentimentData.HELD_OUT_RANKING, plan);
            System.out.printf("%.1f\t%.4f\t%.3f%n", s, score, rho);
            assertTrue(score > previous, "pole score rises with strength: " + score + " after " + previous);
            previous = score;
            if (f == 1) {
                assertTrue(rho >= 0.9, "held-out similarity ranking Spearman " + rho);
            }
        }
        SteeringPlan negative = SteeringPlan.atLayers(sentiment, -bestStrength, bestLayer);
        assertTrue(poleScore(SentimentData.HELD_OUT_NEUTRAL, negative, pos, neg)
                < poleScore(SentimentData.HELD_OUT_NEUTRAL, SteeringPlan.NONE, pos, neg), "a negative strength "
                + "moves toward the other pole");
    }

    @Test
    void aProjectingOutPlanAtTheLastLayerYieldsTheErasedEmbedding() {
        ConceptSubspace subspace = ConceptSubspace.fromPairDifferences(
                ActivationMatrix.ofRows(encoder.embed(SentimentData.TUNING_PAIRS.positives(), SteeringPlan.NONE)),
                ActivationMatrix.ofRows(encoder.embed(SentimentData.TUNING_PAIRS.negatives(), SteeringPlan.NONE)), 3);
        SteeringPlan plan = SteeringPlan.projectingOut(subspace, HookPoint.RESID_POST, model.numLayers() - 1);
        List<String> texts = SentimentData.HELD_OUT_NEUTRAL.subList(0, 4);

        float[][] plain = encoder.embed(texts, SteeringPlan.NONE);
        float[][] erased = encoder.embed(texts, plan);

        // mean pooling is linear and the normalisation a positive scale, so erasing every token of the last layer
        // gives the normalised erasure of the plain embedding
        for (int r = 0; r < texts.size(); r++) {
            float[] expected = ConceptErasureCheck.normalised(subspace.erase(plain[r]));
            for (int j = 0; j < expected.length; j++) {
                assertEquals(expected[j], erased[r][j], 1e-5, "text " + r + " dim " + j);
            }
        }
    }

    @Test
    void projectingOutASentimentSubspaceLearnedOnOneSetLeavesFreshHeldOutProbesNearChanceAndKeepsRetrieval() {
        ConceptErasureCheck.Result r = ConceptErasureCheck.run(encoder, model.numLayers() - 1);
        System.out.println(r.report("MiniLM"));
        assertTrue(r.before() >= 0.85, "the concept is linearly readable before erasure: " + r.before());
        assertTrue(r.after() <= 0.6, "held-out probe accuracy after erasure " + r.after());
        assertTrue(r.recallAfter() >= r.recallBefore() - 0.1, "retrieval recall@1 " + r.recallBefore() + " -> "
                + r.recallAfter());
    }
}
