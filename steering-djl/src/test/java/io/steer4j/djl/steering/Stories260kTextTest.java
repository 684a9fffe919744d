package io.steer4j.djl.steering;

import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.djl.RealModels;
import io.steer4j.djl.generation.CancellationToken;
import io.steer4j.djl.generation.FinishReason;
import io.steer4j.djl.generation.GenerationConfig;
import io.steer4j.djl.generation.GenerationResult;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.tokenizer.SpecialTokens;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Text entry points of {@link SteeredModel} on the real stories260k (SentencePiece, BOS, stop ids [2, 1]):
 * prompts get BOS, generated text keeps its first space, streamed text equals the result, continuations are scored
 * as the tokens the model sees, and generation stops where llama2.c's run.c stops. Skipped, with a warning on
 * stderr, only when ../shared/models/stories260k is absent.
 */
class Stories260kTextTest {
    private static final GenerationConfig GREEDY_16 = GenerationConfig.builder().maxNewTokens(16).build();
    private static LanguageModel model;
    private static SteeredModel steered;

    @BeforeAll
    static void load() {
        model = LanguageModel.load(RealModels.require("stories260k"));
        steered = SteeredModel.of(model, SteeringPlan.NONE);
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
    }

    @Test
    void aTextPromptStartsWithBos() {
        GenerationResult r = steered.generate("Lily was sad because", GREEDY_16);
        assertEquals(1, r.promptTokens()[0]);
        assertArrayEquals(model.tokenizer().encode("Lily was sad because"), r.promptTokens());
    }

    @Test
    void generatedTextKeepsItsLeadingSpaceAsTheWholeTextDecodes() {
        GenerationResult r = steered.generate("Lily was sad because", GREEDY_16);
        assertTrue(r.text().startsWith(" she"), r.text());
        long[] all = Arrays.copyOf(r.promptTokens(), r.promptTokens().length + r.tokens().length);
        System.arraycopy(r.tokens(), 0, all, r.promptTokens().length, r.tokens().length);
        assertEquals(model.tokenizer().decode(all, true), "Lily was sad because" + r.text());
    }

    @Test
    void streamedDeltasJoinToTheResultText() {
        StringBuilder streamed = new StringBuilder();
        GenerationResult r = steered.generate("Lily was sad because", GREEDY_16, SteeringPlan.NONE,
                (row, id, delta) -> streamed.append(delta), CancellationToken.NEVER);
        assertEquals(r.text(), streamed.toString());
        assertTrue(streamed.toString().startsWith(" she"), streamed.toString());
    }

    @Test
    void streamingAfterABatchOfPromptsKeepsEachRowsSpace() {
        List<String> prompts = List.of("The dog", "Once upon a time");
        StringBuilder[] streamed = {new StringBuilder(), new StringBuilder()};
        List<GenerationResult> rs = steered.generateBatch(prompts, GREEDY_16,
                List.of(SteeringPlan.NONE, SteeringPlan.NONE), (row, id, delta) -> streamed[row].append(delta),
                CancellationToken.NEVER);
        for (int i = 0; i < 2; i++) {
            assertEquals(rs.get(i).text(), streamed[i].toString());
        }
    }

    @Test
    void stopIdsComeFromGenerationConfig() {
        assertEquals(Set.of(1L, 2L), model.eosTokenIds());
    }

    /** A whole story the model wrote greedily after "The dog" (token 187 of that run is the end: BOS). */
    private static final String STORY = "The dog was a big, red ball. He liked to play with his ball. He liked to "
            + "play with his ball. He liked to play with his ball. He liked to play with his ball.\nOne day, a little "
            + "boy named Tim came to the ball. He saw a big ball. The ball was very small. Tim wanted to play with the "
            + "ball. He wanted to play with the ball.\nTim said, \"I want to play with the ball. I will find it.\" "
            + "The ball was happy. Tim and the ball played with the ball. They played together. They had a lot of "
            + "fun. Tim and the ball played together. They had a lot of fun.";

    @Test
    void generationStopsWhereTheStoryEndsAsRunCDoes() {
        // The model ends a story by starting the next with BOS (1), listed in generation_config.json's [2, 1]
        // but not in config.json's eos_token_id 2; run.c stops there too.
        GenerationResult r = steered.generate(STORY, GenerationConfig.builder().maxNewTokens(20).build());
        assertEquals(FinishReason.EOS, r.finishReason());
        assertArrayEquals(new long[] {1}, r.tokens());
        assertEquals("", r.text());
        GenerationResult on = steered.generate(STORY,
                GenerationConfig.builder().maxNewTokens(3).stopAtEos(false).build());
        assertEquals(1, on.tokens()[0], "the same first token, generation going on without the stop");
        assertEquals(3, on.tokens().length);
    }

    @Test
    void aContinuationIsScoredAsTheSingleTokenTheModelSees() {
        double[] lp = steered.continuationLogProbs("Lily was very", " happy", SteeringPlan.NONE);
        assertEquals(1, lp.length, "' happy' is one token (▁happy) after the prompt");
        float[] next = steered.nextTokenLogProbs("Lily was very", SteeringPlan.NONE);
        long happy = model.tokenizer().encodeContinuation("Lily was very", " happy").continuation()[0];
        assertEquals(next[(int) happy], lp[0], 1e-5);
        assertTrue(lp[0] > -8, "a plausible word, not a junk token: " + lp[0]);
    }

    @Test
    void aMeanReadAveragesTheTextsTokensWithoutBos() {
        String text = "Lily was sad";
        int n = model.tokenizer().encode(text).length;
        float[] mean = read(text, ReadPosition.mean());
        float[] expected = new float[mean.length];
        for (int i = 1; i < n; i++) {
            float[] at = read(text, ReadPosition.at(i));
            for (int d = 0; d < at.length; d++) {
                expected[d] += at[d] / (n - 1);
            }
        }
        assertArrayEquals(expected, mean, 1e-5f);
        assertEquals(1, model.tokenizer().encode(text)[0], "position 0, left out, is BOS");
    }

    private static float[] read(String text, ReadPosition position) {
        return new ActivationCapture(model, io.steer4j.core.plan.HookPoint.RESID_POST, position, 1, false)
                .capture(List.of(text), List.of(2), "test").get(2)[0];
    }

    @Test
    void withoutSpecialTokensTheCallerWritesBos() {
        try (LanguageModel raw = LanguageModel.load(model.folder(), ai.djl.Device.cpu(),
                io.steer4j.djl.model.Precision.FLOAT32, SpecialTokens.NONE)) {
            SteeredModel s = SteeredModel.of(raw, SteeringPlan.NONE);
            GenerationResult written = s.generate("<s>Lily was sad because", GREEDY_16);
            GenerationResult added = steered.generate("Lily was sad because", GREEDY_16);
            assertArrayEquals(added.promptTokens(), written.promptTokens());
            assertArrayEquals(added.tokens(), written.tokens());
            assertEquals(raw.tokenizer().encode("Lily", false).length, raw.tokenizer().encode("Lily").length);
        }
    }
}
