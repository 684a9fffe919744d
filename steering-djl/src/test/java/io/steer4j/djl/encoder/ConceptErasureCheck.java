package io.steer4j.djl.encoder;

import io.steer4j.core.plan.HookPoint;
import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.core.vector.ActivationMatrix;
import io.steer4j.core.vector.ConceptSubspace;
import io.steer4j.djl.steering.SteeredEncoder;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.IntPredicate;
import java.util.stream.IntStream;

import static io.steer4j.djl.encoder.SteeringSemantics.concat;

/**
 * The concept-erasure experiment of issue 24, run the same way on every real encoder: a sentiment
 * {@link ConceptSubspace} is learned from the ERASER reviews' sentence embeddings (its rank chosen on them alone),
 * projected out of every token at the last layer, and judged on the PROBE reviews, which the eraser never saw, by
 * fresh logistic probes trained and tested on the erased embeddings in {@value #FOLDS} folds; a small retrieval
 * task shows what the erasure costs.
 */
final class ConceptErasureCheck {
    static final int FOLDS = 4;
    static final int[] RANKS = {1, 2, 4, 8, 16};

    private ConceptErasureCheck() {
    }

    /**
     * What the experiment measured.
     *
     * @param innerByRank for each of {@link #RANKS}, the probe accuracy on one half of the eraser pairs after
     *                    erasing a subspace learned on the other half (both ways, averaged)
     * @param oldProbe    accuracy on the erased probe set of a probe trained on all of it before erasure
     */
    record Result(int layer, int eraserPairs, int probeTexts, double[] innerByRank, int rank, double before,
                  double afterOneDirection, double after, double oldProbe, double recallBefore, double recallAfter) {
        String report(String model) {
            return String.format(Locale.ROOT, "%s sentiment erasure at resid_post(%d), learned on %d review pairs;"
                            + " rank chosen on them from %s by split-half probing %s -> %d%n"
                            + "  held-out probe set of %d reviews, %d-fold fresh probes: accuracy before %.3f, after"
                            + " one direction %.3f, after rank %d %.3f (the probe trained before erasure: %.3f)%n"
                            + "  retrieval recall@1 on %d query/document pairs %.2f -> %.2f", model, layer,
                    eraserPairs, Arrays.toString(RANKS), Arrays.toString(Arrays.stream(innerByRank)
                            .mapToObj(a -> String.format(Locale.ROOT, "%.3f", a)).toArray()), rank, probeTexts,
                    FOLDS, before, afterOneDirection, rank, after, oldProbe,
                    SentimentData.RETRIEVAL_QUERIES.size(), recallBefore, recallAfter);
        }
    }

    static Result run(SteeredEncoder encoder, int layer) {
        boolean normalise = encoder.pooling().normalize();
        float[][] eraserPos = encoder.embed(concat(ErasureData.ERASER_POSITIVE,
                SentimentData.TUNING_PAIRS.positives()), SteeringPlan.NONE);
        float[][] eraserNeg = encoder.embed(concat(ErasureData.ERASER_NEGATIVE,
                SentimentData.TUNING_PAIRS.negatives()), SteeringPlan.NONE);
        // the rank is chosen on the eraser set: learn on one half of its pairs, probe the other half erased
        double[] inner = new double[RANKS.length];
        int best = 0;
        for (int r = 0; r < RANKS.length; r++) {
            for (int half = 0; half < 2; half++) {
                int h = half;
                ConceptSubspace s = ConceptSubspace.fromPairDifferences(rows(eraserPos, i -> i % 2 == h),
                        rows(eraserNeg, i -> i % 2 == h), RANKS[r]);
                inner[r] += foldedProbeAccuracy(erase(s, select(eraserPos, i -> i % 2 != h), normalise),
                        erase(s, select(eraserNeg, i -> i % 2 != h), normalise)) / 2;
            }
            if (inner[r] < inner[best]) {
                best = r;
            }
        }
        int rank = RANKS[best];
        ConceptSubspace subspace = ConceptSubspace.fromPairDifferences(ActivationMatrix.ofRows(eraserPos),
                ActivationMatrix.ofRows(eraserNeg), rank);
        SteeringPlan plan = SteeringPlan.projectingOut(subspace, HookPoint.RESID_POST, layer);
        SteeringPlan oneDirection = SteeringPlan.projectingOut(ConceptSubspace.ofDirections(
                List.of(subspace.direction(0))), HookPoint.RESID_POST, layer);

        // the held-out probe set goes through the model with the plans
        List<String> probePos = concat(ErasureData.PROBE_POSITIVE, SentimentData.HELD_OUT_POSITIVE);
        List<String> probeNeg = concat(ErasureData.PROBE_NEGATIVE, SentimentData.HELD_OUT_NEGATIVE);
        float[][] pos0 = encoder.embed(probePos, SteeringPlan.NONE);
        float[][] neg0 = encoder.embed(probeNeg, SteeringPlan.NONE);
        float[][] pos1 = encoder.embed(probePos, plan);
        float[][] neg1 = encoder.embed(probeNeg, plan);
        SteeringSemantics.Probe old = SteeringSemantics.Probe.fit(stack(pos0, neg0),
                SteeringSemantics.labels(pos0.length, neg0.length));

        float[][] q0 = encoder.embed(SentimentData.RETRIEVAL_QUERIES, SteeringPlan.NONE);
        float[][] d0 = encoder.embed(SentimentData.RETRIEVAL_DOCS, SteeringPlan.NONE);
        float[][] q1 = encoder.embed(SentimentData.RETRIEVAL_QUERIES, plan);
        float[][] d1 = encoder.embed(SentimentData.RETRIEVAL_DOCS, plan);
        return new Result(layer, eraserPos.length, probePos.size() + probeNeg.size(), inner, rank,
                foldedProbeAccuracy(pos0, neg0),
                foldedProbeAccuracy(encoder.embed(probePos, oneDirection), encoder.embed(probeNeg, oneDirection)),
                foldedProbeAccuracy(pos1, neg1),
                old.accuracy(stack(pos1, neg1), SteeringSemantics.labels(pos1.length, neg1.length)),
                SteeringSemantics.recallAt1(q0, d0), SteeringSemantics.recallAt1(q1, d1));
    }

    /**
     * Accuracy of fresh logistic probes over {@value #FOLDS} folds: pair {@code i} (row i of both sides) is in fold
     * {@code i % FOLDS}; each fold is tested by a probe trained on the others.
     */
    static double foldedProbeAccuracy(float[][] pos, float[][] neg) {
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

    /**
     * The embeddings a last-layer projecting-out plan yields from plain ones: pooling is linear, so the erased
     * pooled vector, normalised when the encoder normalises (MiniLmSteeringSemanticsTest checks this).
     */
    static float[][] erase(ConceptSubspace s, float[][] embeddings, boolean normalise) {
        float[][] out = new float[embeddings.length][];
        for (int i = 0; i < out.length; i++) {
            float[] e = s.erase(embeddings[i]);
            out[i] = normalise ? normalised(e) : e;
        }
        return out;
    }

    static float[] normalised(float[] v) {
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

    private static float[][] select(float[][] rows, IntPredicate keep) {
        return IntStream.range(0, rows.length).filter(keep).mapToObj(i -> rows[i]).toArray(float[][]::new);
    }

    private static ActivationMatrix rows(float[][] rows, IntPredicate keep) {
        return ActivationMatrix.ofRows(select(rows, keep));
    }

    private static float[][] stack(float[][] a, float[][] b) {
        float[][] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
