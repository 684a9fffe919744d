package io.steer4j.djl.eval;

import io.steer4j.core.dataset.MultipleChoiceItem;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.core.vector.VectorMetadata;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/** Shared inputs for the sweep tests on the tiny random GPT-2 (3 layers, hidden 32, context 64). */
final class SweepFixtures {
    static final List<ContinuationItem> ITEMS = List.of(
            new ContinuationItem("the cat sat on", " the mat", " a hat"),
            new ContinuationItem("today the weather is", " very nice", " so bad"),
            new ContinuationItem("i think that the film", " was good", " was dull"),
            new ContinuationItem("she said the food", " tasted great", " was awful"));

    static final List<String> NEUTRAL = List.of(
            "the library opens at nine on weekdays.",
            "water freezes at zero degrees.",
            "the train leaves from platform three.",
            "a week has seven days.");

    static final List<MultipleChoiceItem> AB = List.of(
            new MultipleChoiceItem("is the sky green?\n\nChoices:\n (A) yes\n (B) no", "(A)", "(B)"),
            new MultipleChoiceItem("is two plus two five?\n\nChoices:\n (A) no\n (B) yes", "(B)", "(A)"),
            new MultipleChoiceItem("do fish fly?\n\nChoices:\n (A) yes\n (B) no", "(A)", "(B)"));

    private SweepFixtures() {
    }

    /** A random vector with a direction of norm {@code norm} at every one of the model's layers. */
    static SteeringVector randomVector(int layers, int hidden, double norm, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Map<Integer, float[]> dirs = new TreeMap<>();
        for (int l = 0; l < layers; l++) {
            double[] v = new double[hidden];
            double n = 0;
            for (int d = 0; d < hidden; d++) {
                v[d] = r.nextGaussian();
                n += v[d] * v[d];
            }
            n = Math.sqrt(n);
            float[] f = new float[hidden];
            for (int d = 0; d < hidden; d++) {
                f[d] = (float) (v[d] / n * norm);
            }
            dirs.put(l, f);
        }
        return new SteeringVector(dirs, VectorMetadata.builder().modelId("gpt2-tiny").hiddenSize(hidden).build());
    }
}
