package io.steer4j.djl.encoder;

import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.djl.BertBaseUncased;
import io.steer4j.djl.model.EncoderModel;
import io.steer4j.djl.steering.ReadPosition;
import io.steer4j.djl.steering.SteeredEncoder;
import io.steer4j.djl.steering.SteeringVectorComputer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fill-mask steering on Google's BERT-Base uncased (imported from TensorFlow): a sentiment vector from the tuning
 * review pairs, its layer chosen on tuning prompts, shifts the log-odds of positive against negative words at the
 * mask of held-out prompts monotonically across strengths -4..+4.
 */
class BertBaseFillMaskSteeringTest {
    private static final List<String> TUNING_PROMPTS = List.of("The food was [MASK].",
            "Overall the experience was [MASK].", "The service was [MASK].");
    private static final List<String> HELD_OUT_PROMPTS = List.of("The movie I saw yesterday was [MASK].",
            "My holiday in Spain was [MASK].", "The new album is [MASK].", "Her presentation was [MASK].",
            "The weather this weekend was [MASK].");
    private static final List<String> POSITIVE = List.of("good", "great", "excellent", "wonderful", "amazing",
            "fantastic");
    private static final List<String> NEGATIVE = List.of("bad", "terrible", "awful", "horrible", "poor",
            "disappointing");

    private static EncoderModel model;
    private static SteeredEncoder encoder;
    private static SteeringVector sentiment;

    @BeforeAll
    static void load() {
        model = EncoderModel.load(BertBaseUncased.folder());
        encoder = SteeredEncoder.of(model);
        sentiment = SteeringVectorComputer.builder(model).layers(3, 5, 7, 9).readPosition(ReadPosition.mean())
                .build().compute(SentimentData.TUNING_PAIRS).vector();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static long[] ids(List<String> words) {
        List<Long> out = new ArrayList<>();
        for (String w : words) {
            long[] t = model.tokenizer().encode(w, false);
            assertEquals(1, t.length, w + " is one token");
            out.add(t[0]);
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    /** Mean over prompts of log sum p(positive words) - log sum p(negative words) at the mask. */
    private static double logOdds(List<String> prompts, SteeringPlan plan) {
        long[] pos = ids(POSITIVE);
        long[] neg = ids(NEGATIVE);
        double total = 0;
        for (float[][] masks : encoder.maskLogProbabilities(prompts, plan)) {
            total += logSumExp(masks[0], pos) - logSumExp(masks[0], neg);
        }
        return total / prompts.size();
    }

    private static double logSumExp(float[] lp, long[] ids) {
        double max = Double.NEGATIVE_INFINITY;
        for (long i : ids) {
            max = Math.max(max, lp[(int) i]);
        }
        double s = 0;
        for (long i : ids) {
            s += Math.exp(lp[(int) i] - max);
        }
        return max + Math.log(s);
    }

    @Test
    void sentimentVectorShiftsHeldOutLogOddsMonotonicallyAcrossStrengthsMinus4To4() {
        int bestLayer = -1;
        double bestSpread = Double.NEGATIVE_INFINITY;
        for (int layer : sentiment.layers()) {
            double spread = logOdds(TUNING_PROMPTS, SteeringPlan.atLayers(sentiment, 2, layer))
                    - logOdds(TUNING_PROMPTS, SteeringPlan.atLayers(sentiment, -2, layer));
            System.out.printf("tuning layer %d: log-odds spread (+2 vs -2) %.3f%n", layer, spread);
            if (spread > bestSpread) {
                bestSpread = spread;
                bestLayer = layer;
            }
        }
        System.out.printf("bert-base-uncased sentiment vector at layer %d (chosen on tuning prompts)%n", bestLayer);
        System.out.println("strength\tlog-odds positive vs negative (held-out prompts)");
        double previous = Double.NEGATIVE_INFINITY;
        for (int s = -4; s <= 4; s++) {
            double lo = logOdds(HELD_OUT_PROMPTS, SteeringPlan.atLayers(sentiment, s, bestLayer));
            System.out.printf("%+d\t%.3f%n", s, lo);
            assertTrue(lo > previous, "log-odds rise with strength: " + lo + " at " + s + " after " + previous);
            previous = lo;
        }
    }
}
