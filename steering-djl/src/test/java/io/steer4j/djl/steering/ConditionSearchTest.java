package io.steer4j.djl.steering;

import io.steer4j.core.plan.Intervention;
import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.djl.TinyModels;
import io.steer4j.djl.model.LanguageModel;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConditionSearchTest {
    @Test
    void f1CountsTruePositivesAgainstFalseOnes() {
        // fire scores above 0.5: 2 of 3 (tp=2, fn=1); quiet above 0.5: 1 of 2 (fp=1) -> F1 = 4 / (4 + 1 + 1)
        assertEquals(4.0 / 6.0, ConditionSearch.f1(new double[] {0.9, 0.7, 0.1}, new double[] {0.6, 0.2}, 0.5), 1e-12);
    }

    @Test
    void theBestThresholdSeparatesSeparableScoresPerfectly() {
        double[] tf = ConditionSearch.bestThreshold(new double[] {0.8, 0.9, 0.7}, new double[] {0.1, 0.3, 0.2});
        assertEquals(1.0, tf[1]);
        assertTrue(tf[0] > 0.3 && tf[0] < 0.7, "threshold " + tf[0]);
    }

    @Test
    void theSearchReportsEveryLayerAndASelectorThatAgreesWithItsScores() {
        try (LanguageModel model = TinyModels.loadGpt2()) {
            List<String> fire = List.of("zzz zzz zzz zzz", "zzz qqq zzz", "qqq zzz zzz zzz zzz");
            List<String> quiet = List.of("the cat sat on the mat", "a dog ran in the park", "the sun is bright");
            ConditionSearch.Result r = ConditionSearch.search(model, fire, quiet, List.of(0, 1, 2));
            assertEquals(List.of(0, 1, 2), List.copyOf(r.f1ByLayer().keySet()));
            assertEquals(r.f1(), r.f1ByLayer().get(r.layer()));
            SteeringPlan plan = SteeringPlan.builder().add(Intervention.add(1, new float[model.hiddenSize()], 1)).build();
            ConditionVectorSelector s = r.selector(model, plan, SteeringPlan.NONE);
            int tp = 0;
            for (String f : fire) {
                tp += s.fires(f) ? 1 : 0;
                assertEquals(s.fires(f), s.similarity(f) > s.threshold());
            }
            int fp = 0;
            for (String q : quiet) {
                fp += s.fires(q) ? 1 : 0;
            }
            double f1 = tp == 0 ? 0 : 2.0 * tp / (2.0 * tp + fp + (fire.size() - tp));
            assertEquals(r.f1(), f1, 1e-9, "the selector reproduces the F1 the search reported");
            assertEquals(s.fires(fire.get(0)) ? plan : SteeringPlan.NONE, s.select(fire.get(0)));
        }
    }

    @Test
    void emptyExampleSetsAreRefused() {
        try (LanguageModel model = TinyModels.loadGpt2()) {
            assertThrows(IllegalArgumentException.class,
                    () -> ConditionSearch.search(model, List.of(), List.of("x"), List.of(0)));
        }
    }
}
