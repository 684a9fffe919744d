package io.steer4j.djl.steering;

import io.steer4j.core.plan.HookPoint;
import io.steer4j.core.plan.Intervention;
import io.steer4j.core.plan.InterventionOperator;
import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.core.plan.TokenScope;
import io.steer4j.djl.TinyModels;
import io.steer4j.djl.generation.GenerationConfig;
import io.steer4j.djl.generation.GenerationResult;
import io.steer4j.djl.generation.Generator;
import io.steer4j.djl.model.LanguageModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SteeredModelTest {
    private static LanguageModel model;
    private static SteeredModel steered;
    private static final GenerationConfig GREEDY = GenerationConfig.builder().maxNewTokens(12).stopAtEos(false).build();

    @BeforeAll
    static void load() {
        model = TinyModels.loadGpt2();
        steered = SteeredModel.builder(model).build();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static float[] randomDirection(long seed, int dim, double scale) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[dim];
        for (int i = 0; i < dim; i++) {
            v[i] = (float) (r.nextGaussian() * scale);
        }
        return v;
    }

    private static SteeringPlan addAt(int layer, long seed, double strength, TokenScope scope) {
        return SteeringPlan.builder().add(new Intervention(layer, HookPoint.RESID_POST,
                randomDirection(seed, model.hiddenSize(), 1.0), strength, scope, InterventionOperator.ADD, false)).build();
    }

    @Test
    void anEmptyPlanReproducesThePlainModelBitForBit() {
        String prompt = "the cat sat on the";
        GenerationResult plain = new Generator(model).generate(prompt, GREEDY);
        GenerationResult none = steered.generate(prompt, GREEDY, SteeringPlan.NONE);
        assertArrayEquals(plain.tokens(), none.tokens());
        float[] a = steered.nextTokenLogProbs(prompt, SteeringPlan.NONE);
        float[] b = steered.nextTokenLogProbs(prompt, SteeringPlan.NONE);
        assertArrayEquals(a, b);
    }

    @Test
    void strengthZeroReproducesTheUnsteeredLogProbsExactly() {
        String prompt = "hello there, how are";
        float[] plain = steered.nextTokenLogProbs(prompt, SteeringPlan.NONE);
        float[] zero = steered.nextTokenLogProbs(prompt, addAt(1, 7, 0.0, TokenScope.all()));
        assertArrayEquals(plain, zero);
    }

    @Test
    void aStrongAdditionChangesTheContinuation() {
        String prompt = "the cat sat on the";
        long[] plain = steered.generate(prompt, GREEDY, SteeringPlan.NONE).tokens();
        long[] pushed = steered.generate(prompt, GREEDY, addAt(1, 7, 20.0, TokenScope.all())).tokens();
        assertFalse(java.util.Arrays.equals(plain, pushed), "a strength-20 vector should change greedy output");
    }

    @Test
    void everyScopeGivesTheSameTokensWithAndWithoutTheKvCache() {
        GenerationConfig cached = GREEDY;
        GenerationConfig uncached = GREEDY.toBuilder().useKvCache(false).build();
        for (TokenScope scope : List.of(TokenScope.all(), TokenScope.promptOnly(), TokenScope.generatedOnly(),
                TokenScope.from(6))) {
            SteeringPlan plan = addAt(1, 11, 6.0, scope);
            long[] a = steered.generate("we went to the market", cached, plan).tokens();
            long[] b = steered.generate("we went to the market", uncached, plan).tokens();
            assertArrayEquals(a, b, "scope " + scope);
        }
    }

    @Test
    void promptOnlyAndGeneratedOnlyScopesTouchDifferentTokens() {
        // The next-token distribution after the prompt depends only on prompt tokens, so a generated-only
        // plan must leave it unchanged and a prompt-only plan must change it.
        String prompt = "it was a bright cold day";
        float[] plain = steered.nextTokenLogProbs(prompt, SteeringPlan.NONE);
        assertArrayEquals(plain, steered.nextTokenLogProbs(prompt, addAt(1, 3, 8.0, TokenScope.generatedOnly())));
        assertFalse(java.util.Arrays.equals(plain,
                steered.nextTokenLogProbs(prompt, addAt(1, 3, 8.0, TokenScope.promptOnly()))));
    }

    @Test
    void eachRowOfABatchFollowsItsOwnPlan() {
        List<String> prompts = List.of("one two three four", "five six seven eight", "nine ten eleven twelve");
        List<SteeringPlan> plans = List.of(addAt(0, 1, 10.0, TokenScope.all()), SteeringPlan.NONE,
                addAt(2, 2, -10.0, TokenScope.generatedOnly()));
        List<GenerationResult> batch = steered.generateBatch(prompts, GREEDY, plans,
                io.steer4j.djl.generation.TokenListener.NONE, io.steer4j.djl.generation.CancellationToken.NEVER);
        for (int i = 0; i < prompts.size(); i++) {
            long[] alone = steered.generate(prompts.get(i), GREEDY, plans.get(i)).tokens();
            assertArrayEquals(alone, batch.get(i).tokens(), "row " + i);
        }
    }

    @Test
    void manyThreadsWithDifferentPlansGetWhatEachPlanGivesAlone() throws Exception {
        int threads = 6;
        int perThread = 4;
        String prompt = "a quiet morning in the";
        List<SteeringPlan> plans = new ArrayList<>();
        List<long[]> expected = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            SteeringPlan p = i == 0 ? SteeringPlan.NONE : addAt(i % 3, 100 + i, 3.0 * i, TokenScope.all());
            plans.add(p);
            expected.add(steered.generate(prompt, GREEDY, p).tokens());
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                final int t = i;
                results.add(pool.submit(() -> {
                    for (int k = 0; k < perThread; k++) {
                        long[] got = steered.generate(prompt, GREEDY, plans.get(t)).tokens();
                        if (!java.util.Arrays.equals(got, expected.get(t))) {
                            return false;
                        }
                    }
                    return true;
                }));
            }
            for (int i = 0; i < threads; i++) {
                assertTrue(results.get(i).get(), "thread " + i + " saw another plan's output");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void ablationRemovesTheDirectionFromTheResidualStream() {
        float[] dir = randomDirection(5, model.hiddenSize(), 1.0);
        SteeringPlan ablate = SteeringPlan.builder().add(new Intervention(1, HookPoint.RESID_POST, dir, 1.0,
                TokenScope.all(), InterventionOperator.ABLATE, false)).build();
        SteeringPlan clamp = SteeringPlan.builder().add(new Intervention(1, HookPoint.RESID_POST, dir, 2.5,
                TokenScope.all(), InterventionOperator.CLAMP, false)).build();
        double[] afterAblate = ProjectionProbe.projections(model, "some words here", ablate, 1, dir);
        double[] afterClamp = ProjectionProbe.projections(model, "some words here", clamp, 1, dir);
        double[] plain = ProjectionProbe.projections(model, "some words here", SteeringPlan.NONE, 1, dir);
        for (int i = 0; i < plain.length; i++) {
            assertTrue(Math.abs(plain[i]) > 1e-3, "the direction should have a component before ablation");
            assertEquals(0.0, afterAblate[i], 1e-4, "token " + i);
            assertEquals(2.5, afterClamp[i], 1e-4, "token " + i);
        }
    }

    @Test
    void normPreservationKeepsEachTokensNorm() {
        float[] dir = randomDirection(9, model.hiddenSize(), 1.0);
        SteeringPlan plan = SteeringPlan.builder().add(new Intervention(1, HookPoint.RESID_POST, dir, 5.0,
                TokenScope.all(), InterventionOperator.ADD, true)).build();
        double[] before = ProjectionProbe.norms(model, "some words here", SteeringPlan.NONE, 1);
        double[] after = ProjectionProbe.norms(model, "some words here", plan, 1);
        for (int i = 0; i < before.length; i++) {
            assertEquals(before[i], after[i], 1e-3 * before[i], "token " + i);
        }
    }

    @Test
    void aVectorOfTheWrongHiddenSizeIsRefusedWithBothSizes() {
        SteeringPlan wrong = SteeringPlan.builder().add(Intervention.add(1, new float[model.hiddenSize() + 1], 1)).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> steered.generate("x", GREEDY, wrong));
        assertTrue(e.getMessage().contains(String.valueOf(model.hiddenSize() + 1))
                && e.getMessage().contains(String.valueOf(model.hiddenSize())), e.getMessage());
    }

    @Test
    void aLayerOutOfRangeIsRefused() {
        SteeringPlan wrong = SteeringPlan.builder().add(Intervention.add(model.numLayers(),
                new float[model.hiddenSize()], 1)).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> steered.generate("x", GREEDY, wrong));
        assertTrue(e.getMessage().contains("layer " + model.numLayers()), e.getMessage());
    }

    @Test
    void aNonFiniteStrengthIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> Intervention.add(0, new float[model.hiddenSize()], Double.NaN));
        float[] bad = new float[model.hiddenSize()];
        bad[3] = Float.POSITIVE_INFINITY;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Intervention.add(0, bad, 1));
        assertTrue(e.getMessage().contains("index 3"), e.getMessage());
    }

    @Test
    void continuationLogProbsMatchTheNextTokenDistributionStepByStep() {
        String prompt = "the dog";
        String cont = " ran home";
        double[] lp = steered.continuationLogProbs(prompt, cont, SteeringPlan.NONE);
        long[] c = model.tokenizer().encode(cont);
        float[] first = steered.nextTokenLogProbs(prompt, SteeringPlan.NONE);
        assertEquals(first[(int) c[0]], lp[0], 1e-5);
        assertEquals(c.length, lp.length);
        for (double d : lp) {
            assertTrue(d <= 0 && Double.isFinite(d));
        }
    }

    @Test
    void aKeywordRuleSteersOnlyMatchingPrompts() {
        SteeringPlan plan = addAt(1, 4, 20.0, TokenScope.all());
        SteeredModel conditional = SteeredModel.builder(model)
                .selector(new KeywordSelector(List.of("insult"), plan, SteeringPlan.NONE)).build();
        assertEquals(plan, conditional.planFor("please write an INSULT"));
        assertEquals(SteeringPlan.NONE, conditional.planFor("please write a poem"));
        assertArrayEquals(steered.generate("write a poem", GREEDY, SteeringPlan.NONE).tokens(),
                conditional.generate("write a poem", GREEDY).tokens());
        assertArrayEquals(steered.generate("write an insult", GREEDY, plan).tokens(),
                conditional.generate("write an insult", GREEDY).tokens());
    }
}
