package io.steer4j.djl.eval;

import io.steer4j.core.vector.SteeringVector;
import io.steer4j.djl.TinyModels;
import io.steer4j.djl.generation.GenerationConfig;
import io.steer4j.djl.generation.Generator;
import io.steer4j.djl.generation.PromptText;
import io.steer4j.djl.model.LanguageModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.steer4j.djl.eval.SweepFixtures.ITEMS;
import static io.steer4j.djl.eval.SweepFixtures.NEUTRAL;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 27 rows 13 and 14: a sweep refuses, before its first forward pass, a strength whose added vector exceeds
 * the bound (1e300 used to fail mid-sweep as "token log-probability 0 is NaN") and texts too long for the context
 * before tokenizing them (a 50 MB neutral line was tokenized for 83 s first).
 */
class SweepEntryBoundsTest {
    private static LanguageModel model;
    private static SteeringVector vector;

    @BeforeAll
    static void load() {
        model = TinyModels.loadGpt2();
        vector = SweepFixtures.randomVector(model.numLayers(), model.hiddenSize(), 4.0, 1);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void aGridStrengthOf1e300IsRefusedWhenTheSweepIsBuiltNamingIt() {
        SweepRunner.Builder b = SweepRunner.builder(model).vector(vector).continuationItems(ITEMS)
                .neutralTexts(NEUTRAL).strengths(0, 1, 1e300);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, b::build);

        assertTrue(e.getMessage().contains("strength 1.0E300"), e.getMessage());
    }

    @Test
    void aFiftyMegabyteNeutralTextIsRefusedBeforeTokenizing() {
        List<String> neutral = new ArrayList<>(NEUTRAL);
        neutral.add("a".repeat(50 << 20));
        SweepRunner.Builder b = SweepRunner.builder(model).vector(vector).continuationItems(ITEMS)
                .neutralTexts(neutral).strengths(0, 1);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, b::build);

        assertTrue(e.getMessage().contains("neutral text " + NEUTRAL.size() + " is " + (50 << 20) + " characters")
                && e.getMessage().contains("refused before tokenizing"), e.getMessage());
    }

    @Test
    void aPromptLongerThanTheContextCouldHoldIsRefusedBeforeTokenizing() {
        String prompt = "a".repeat(PromptText.maxChars(model) + 1);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Generator(model).generate(prompt, GenerationConfig.greedy(1)));

        assertTrue(e.getMessage().contains("refused before tokenizing"), e.getMessage());
    }
}
