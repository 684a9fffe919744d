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
import static io.steer4j.djl.encoder.SteeringSemantics.concat;
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
            float[] expected = normalised(subspace.erase(plain[r]));
            for (int j = 0; j < expected.length; j++) {
                assertEquals(expected[j], erased[r][j], 1e-5, "text " + r + " dim " + j);
            }
        }
    }

    @Test
    void projectingOutASentimentSubspaceLearnedOnOneSetLeavesFreshHeldOutProbesNearChanceAndKeepsRetrieval() {
        // learn the erasure on the eraser reviews only (ErasureData's and the tuning pairs, matched by topic)
        float[][] eraserPos = encoder.embed(concat(ErasureData.ERASER_POSITIVE,
                SentimentData.TUNING_PAIRS.positives()), SteeringPlan.NONE);
        float[][] eraserNeg = encoder.embed(concat(ErasureData.ERASER_NEGATIVE,
                SentimentData.TUNING_PAIRS.negatives()), SteeringPlan.NONE);
        // the rank is chosen on the eraser set too: learn on one half of its pairs, probe the other half erased
        int rank = 0;
        double bestInner = Double.POSITIVE_INFINITY;
        for (int k : new int[] {1, 2, 4, 8, 16}) {
            double inner = 0;
            for (int half = 0; half < 2; half++) {
                int h = half;
                ConceptSubspace s = ConceptSubspace.fromPairDifferences(rows(eraserPos, i -> i % 2 == h),
                        rows(eraserNeg, i -> i % 2 == h), k);
                inner += foldedProbeAccuracy(erase(s, rows(eraserPos, i -> i % 2 != h)),
                        erase(s, rows(eraserNeg, i -> i % 2 != h))) / 2;
            }
            System.out.printf("eraser set, rank %d: probe accuracy on the other half after erasure %.3f%n", k, inner);
            if (inner < bestInner) {
                bestInner = inner;
                rank = k;
            }
        }
        ConceptSubspace subspace = ConceptSubspace.fromPairDifferences(ActivationMatrix.ofRows(eraserPos),
                ActivationMatrix.ofRows(eraserNeg), rank);
        int last = model.numLayers() - 1;
        SteeringPlan plan = SteeringPlan.projectingOut(subspace, HookPoint.RESID_POST, last);
        SteeringPlan oneDirection = SteeringPlan.projectingOut(ConceptSubspace.ofDirections(
                List.of(subspace.direction(0))), HookPoint.RESID_POST, last);

        // held-out probe set: fresh probes trained on erased training folds, tested on erased test folds
        List<String> probePos = concat(ErasureData.PROBE_POSITIVE, HELD_OUT_POSITIVE);
        List<String> probeNeg = concat(ErasureData.PROBE_NEGATIVE, HELD_OUT_NEGATIVE);
        float[][] pos0 = encoder.embed(probePos, SteeringPlan.NONE);
        float[][] neg0 = encoder.embed(probeNeg, SteeringPlan.NONE);
        double before = foldedProbeAccuracy(pos0, neg0);
        double afterOne = foldedProbeAccuracy(encoder.embed(probePos, oneDirection),
                encoder.embed(probeNeg, oneDirection));
        float[][] pos1 = encoder.embed(probePos, plan);
        float[][] neg1 = encoder.embed(probeNeg, plan);
        double after = foldedProbeAccuracy(pos1, neg1);
        SteeringSemantics.Probe old = SteeringSemantics.Probe.fit(stack(pos0, neg0),
                SteeringSemantics.labels(pos0.length, neg0.length));
        double oldProbe = old.accuracy(stack(pos1, neg1), SteeringSemantics.labels(pos1.length, neg1.length));

        float[][] q0 = encoder.embed(SentimentData.RETRIEVAL_QUERIES, SteeringPlan.NONE);
        float[][] d0 = encoder.embed(SentimentData.RETRIEVAL_DOCS, SteeringPlan.NONE);
        float[][] q1 = encoder.embed(SentimentData.RETRIEVAL_QUERIES, plan);
        float[][] d1 = encoder.embed(SentimentData.RETRIEVAL_DOCS, plan);
        double recallBefore = SteeringSemantics.recallAt1(q0, d0);
        double recallAfter = SteeringSemantics.recallAt1(q1, d1);
        System.out.printf("MiniLM sentiment erasure at resid_post(%d), learned on %d review pairs, rank %d chosen on"
                        + " them; held-out probe set %d + %d reviews, 4-fold fresh probes:%n", last,
                eraserPos.length, rank, probePos.size(), probeNeg.size());
        System.out.printf("  probe accuracy before %.3f, after one direction %.3f, after rank %d %.3f"
                + " (the probe trained before erasure, on erased embeddings: %.3f)%n", before, afterOne, rank, after,
                oldProbe);
        System.out.printf("  retrieval recall@1 on %d query/document pairs %.2f -> %.2f%n", q0.length, recallBefore,
                recallAfter);
        assertTrue(before >= 0.85, "the concept is linearly readable before erasure: " + before);
        assertTrue(after <= 0.6, "held-out probe accuracy after erasure " + after);
        assertTrue(recallAfter >= recallBefore - 0.1, "retrieval recall@1 " + recallBefore + " -> " + recallAfter);
    }

    private static final int FOLDS = 4;

    /**
     * Accuracy of fresh logistic probes over {@value #FOLDS} folds: pair {@code i} (row i of both sides) is in fold
     * {@code i % FOLDS}; each fold is tested by a probe trained on the others.
     */
    private static double foldedProbeAccuracy(float[][] pos, float[][] neg) {
        double right = 0;
        for (int f = 0; f < FOLDS; f++) {
            int fold = f;
            float[][] trainPos = select(pos, i -> i % FOLDS != fold);
            float[][] trainNeg = select(neg, i -> i % FOLDS != fold);
            float[][] testPos = select(pos, i -> i % FOLDS == fold);
            float[][] testNeg = select(neg, i -> i % FOLDS == fold);
            SteeringSemantics.Probe p = SteeringSemantics.Probe.fit(stack(trainPos, trainNeg),
                    SteeringSemantics.labels(trainPos.length, trainNeg.length));
            right += p.accuracy(stack(testPos, testNeg), SteeringSemantics.labels(testPos.length, testNeg.length))
                    * (testPos.length + testNeg.length);
        }
        return right / (pos.length + neg.length);
    }

    private static float[][] select(float[][] rows, java.util.function.IntPredicate keep) {
        return java.util.stream.IntStream.range(0, rows.length).filter(keep).mapToObj(i -> rows[i])
                .toArray(float[][]::new);
    }

    private static ActivationMatrix rows(float[][] rows, java.util.function.IntPredicate keep) {
        return ActivationMatrix.ofRows(select(rows, keep));
    }

    /** The embeddings a last-layer projecting-out plan yields (see the exactness test above). */
    private static float[][] erase(ConceptSubspace s, ActivationMatrix m) {
        float[][] out = new float[m.rows()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = normalised(s.erase(m.row(i)));
        }
        return out;
    }

    private static float[][] stack(float[][] a, float[][] b) {
        float[][] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static float[] normalised(float[] v) {
        double n = 0;
        for (float f : v) {
            n += (double) f * f;
        }
        float[] out = new float[v.length];
        for (int j = 0; j < v.length; j++) {
            out[j] = (float) (v[j] / Math.sqrt(n));
        }
        return out;
    }
}
