package io.steer4j.djl.steering;

import io.steer4j.core.dataset.ContrastiveDataset;
import io.steer4j.core.dataset.ContrastiveDatasets;
import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.djl.RealModels;
import io.steer4j.djl.model.LanguageModel;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** On the real gpt2: a sentiment vector shifts positive-vs-negative continuation log-probabilities both ways. */
class RealGpt2SteeringTest {
    private static final String[][] EVAL = {
            {"I watched the film last night and it was", " wonderful", " terrible"},
            {"The food at the new restaurant is", " delicious", " disgusting"},
            {"My week at work has been", " great", " awful"},
            {"The weather today is", " lovely", " miserable"},
    };

    private static double margin(SteeredModel sm, SteeringPlan plan) {
        double s = 0;
        for (String[] e : EVAL) {
            s += sm.continuationLogProb(e[0], e[1], plan) - sm.continuationLogProb(e[0], e[2], plan);
        }
        return s / EVAL.length;
    }

    @Test
    void aSentimentVectorShiftsContinuationsInTheIntendedDirectionAndTheOppositeSignReversesIt() throws Exception {
        Path dir = RealModels.require("gpt2");
        Path data = Path.of("").toAbsolutePath().getParent().resolve("examples/src/main/resources/datasets/sentiment.json");
        assertTrue(Files.exists(data), data.toString());
        ContrastiveDataset pairs = ContrastiveDatasets.load(data);
        try (LanguageModel model = LanguageModel.load(dir)) {
            SteeringVector v = SteeringVectorComputer.builder(model).layers(6).batchSize(16).build().compute(pairs).vector();
            SteeredModel sm = SteeredModel.builder(model).build();
            double plain = margin(sm, SteeringPlan.NONE);
            double up = margin(sm, SteeringPlan.of(v, 4.0));
            double down = margin(sm, SteeringPlan.of(v, -4.0));
            System.out.printf("gpt2 sentiment margin: plain %.3f, +4 %.3f, -4 %.3f%n", plain, up, down);
            assertTrue(up > plain + 0.1, "positive strength should raise the positive margin: " + plain + " -> " + up);
            assertTrue(down < plain - 0.1, "negative strength should lower it: " + plain + " -> " + down);
        }
    }
}
