package io.steer4j.examples;

import io.steer4j.core.dataset.ContrastiveDataset;
import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.djl.eval.ContinuationItem;
import io.steer4j.djl.generation.CancellationToken;
import io.steer4j.djl.generation.GenerationConfig;
import io.steer4j.djl.generation.GenerationResult;
import io.steer4j.djl.generation.TokenListener;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.steering.ConditionSearch;
import io.steer4j.djl.steering.ConditionVectorSelector;
import io.steer4j.djl.steering.KeywordSelector;
import io.steer4j.djl.steering.SteeredModel;
import io.steer4j.djl.steering.SteeringVectorComputer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Steering does what it claims on a real pretrained model: Karpathy's stories260k (Llama, 5 × 64, TinyStories),
 * found in {@code ../shared/models/stories260k} or {@code $STEER4J_MODELS}; skipped, loudly, when absent.
 *
 * <p>The happy-vs-sad vector is computed from the shipped {@code stories-sentiment.json} (50 pairs) at the layer
 * and strength the demo uses for this family ({@link SteeringDefaults#LLAMA}: layer 3, strength 2), and measured on
 * text that neither the vector nor the choice of those defaults ever saw: the sweep that chose them scored
 * {@code stories-sentiment-eval.json} and {@code stories-neutral.txt}, so these tests use the separate test-only
 * files {@code heldout/stories-sentiment-test.json} (16 prompts) and {@code heldout/stories-neutral-test.txt}
 * (20 lines), written for this purpose and sharing no sentence with the shipped datasets.
 */
class StoriesSteeringTest {
    /** Words that mark a cheerful story; a lexicon score counts these minus {@link #SAD_WORDS} per word. */
    static final Set<String> HAPPY_WORDS = Set.of("happy", "glad", "smile", "smiled", "smiling", "laugh", "laughed",
            "laughing", "fun", "love", "loved", "joy", "excited", "proud", "good", "nice", "best", "great", "kind",
            "hug", "hugged", "friend", "friends", "thank");
    /** Words that mark a sad story. */
    static final Set<String> SAD_WORDS = Set.of("sad", "cry", "cried", "crying", "tears", "scared", "afraid",
            "angry", "upset", "bad", "hurt", "alone", "lonely", "lost", "broke", "broken", "sorry", "mean", "sick",
            "worried", "frowned");

    private static LanguageModel model;
    private static SteeredModel steered;
    private static ContrastiveDataset pairs;
    private static SteeringVector happy;
    private static int layer;
    private static double strength;
    private static List<ContinuationItem> heldOut;
    /** Lexicon scores at {@link #strengths()}, computed once, on first use. */
    private static double[] lexicon;

    @BeforeAll
    static void load() throws Exception {
        Path dir = TinyModel.requireReal("stories260k");
        model = LanguageModel.load(dir);
        steered = SteeredModel.builder(model).build();
        SteeringDefaults chosen = SteeringDefaults.forModel(model);
        layer = chosen.layer(model);
        strength = chosen.strength();
        pairs = ExampleDatasets.load(chosen.dataset());
        happy = SteeringVectorComputer.builder(model).layers(layer).keepActivations(false).build()
                .compute(pairs).vector();
        heldOut = ContinuationItem.readJson(testResource("heldout/stories-sentiment-test.json"));
    }

    private static Path testResource(String name) throws Exception {
        return Path.of(java.util.Objects.requireNonNull(StoriesSteeringTest.class.getResource("/" + name),
                name + " missing from the test resources").toURI());
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
    }

    @Test
    void theDemoDefaultsForThisModelAreTheMeasuredLayerAndStrength() {
        assertEquals("llama", SteeringDefaults.forModel(model).family());
        assertEquals(3, layer);
        assertEquals(2.0, strength);
        assertEquals(50, pairs.size());
    }

    @Test
    void heldOutHappyOverSadLogOddsRiseWithEveryStrengthStep() {
        assertTrue(heldOut.size() >= 10, "at least 10 held-out prompts, got " + heldOut.size());
        double[] strengths = strengths();
        double[] logOdds = new double[strengths.length];
        for (int i = 0; i < strengths.length; i++) {
            logOdds[i] = meanLogOdds(SteeringPlan.of(happy, strengths[i]));
        }
        System.out.println("stories260k layer " + layer + ", strengths " + java.util.Arrays.toString(strengths)
                + ": held-out log-odds " + java.util.Arrays.toString(logOdds));
        for (int i = 1; i < strengths.length; i++) {
            assertTrue(logOdds[i] > logOdds[i - 1], "log-odds must rise from strength " + strengths[i - 1] + " to "
                    + strengths[i] + ": " + java.util.Arrays.toString(logOdds));
        }
        assertTrue(logOdds[4] - logOdds[2] > 1.0, "the chosen strength moves the log-odds by more than a nat: "
                + java.util.Arrays.toString(logOdds));
    }

    @Test
    void neutralPerplexityRisesByLessThan25PercentAtTheChosenStrength() throws Exception {
        List<String> neutral = Files.readAllLines(testResource("heldout/stories-neutral-test.txt")).stream()
                .filter(l -> !l.isBlank()).toList();
        assertEquals(20, neutral.size());
        double plain = perplexity(neutral, SteeringPlan.NONE);
        double steeredPpl = perplexity(neutral, SteeringPlan.of(happy, strength));
        double ratio = steeredPpl / plain;
        System.out.println("stories260k layer " + layer + ", strength " + strength + ": neutral perplexity " + plain
                + " -> " + steeredPpl + " (x" + ratio + ")");
        assertTrue(ratio > 1.0 && ratio < 1.25, "perplexity ratio " + ratio + " (" + plain + " -> " + steeredPpl + ")");
    }

    @Test
    void greedyStoriesGetHappierWithTheVector() {
        double[] lex = lexiconScores();
        assertTrue(lex[4] > lex[2], "lexicon score unsteered " + lex[2] + ", +" + strength + " " + lex[4]);
    }

    @Test
    void greedyStoriesGetSadderWithTheNegatedVector() {
        double[] lex = lexiconScores();
        assertTrue(lex[0] < lex[2], "lexicon score unsteered " + lex[2] + ", -" + strength + " " + lex[0]);
    }

    @Test
    void keywordSelectorCheersUpOnlyTheHeldOutPromptsThatMentionSadness() {
        SteeringPlan cheer = SteeringPlan.of(happy, strength);
        KeywordSelector rule = new KeywordSelector(List.of("sad", "cried", "lost", "broke"), cheer, SteeringPlan.NONE);
        SteeredModel conditional = SteeredModel.builder(model).selector(rule).build();
        List<String> prompts = List.of("Tim lost his red hat at school. He was",
                "The girl broke her doll. She",
                "Ben cried because his dog ran away. His mom",
                "Tim put on his red hat and went to school. He",
                "The girl played with her doll. She",
                "Ben and his dog ran in the park. His mom");
        boolean[] sad = {true, true, true, false, false, false};
        List<SteeringPlan> expected = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            assertEquals(sad[i], rule.fires(prompts.get(i)), prompts.get(i));
            expected.add(sad[i] ? cheer : SteeringPlan.NONE);
        }
        // Three batches of the same prompts (so the same padding): as the selector chooses, with the plans the
        // rule should choose given explicitly, and plain.
        GenerationConfig greedy = GenerationConfig.greedy(16);
        List<String> chosen = texts(conditional.generateBatch(prompts, greedy));
        List<String> explicit = texts(conditional.generateBatch(prompts, greedy, expected, TokenListener.NONE,
                CancellationToken.NEVER));
        List<String> plain = texts(conditional.generateBatch(prompts, greedy,
                Collections.nCopies(prompts.size(), SteeringPlan.NONE), TokenListener.NONE, CancellationToken.NEVER));
        assertEquals(explicit, chosen);
        for (int i = 0; i < prompts.size(); i++) {
            assertEquals(!sad[i], plain.get(i).equals(chosen.get(i)), (sad[i] ? "steered: " : "plain model: ")
                    + prompts.get(i) + " -> " + chosen.get(i));
        }
    }

    private static List<String> texts(List<GenerationResult> results) {
        return results.stream().map(GenerationResult::text).toList();
    }

    @Test
    void conditionVectorLearnedFromTrainingStoriesPicksOutTheHeldOutSadOnes() {
        // Learn "this story is sad" from the first 40 pairs, judge the 10 pairs the search never saw.
        int train = 40;
        List<String> sadStories = pairs.negatives();
        List<String> happyStories = pairs.positives();
        ConditionSearch.Result cond = ConditionSearch.search(model, sadStories.subList(0, train),
                happyStories.subList(0, train), IntStream.range(0, model.numLayers()).boxed().toList());
        ConditionVectorSelector selector = cond.selector(model, SteeringPlan.of(happy, strength), SteeringPlan.NONE);
        int correct = 0;
        int total = 0;
        List<String> wrong = new ArrayList<>();
        for (int i = train; i < pairs.size(); i++) {
            for (boolean sad : new boolean[] {true, false}) {
                String story = sad ? sadStories.get(i) : happyStories.get(i);
                if (selector.fires(story) == sad) {
                    correct++;
                } else {
                    wrong.add(story);
                }
                total++;
            }
        }
        double accuracy = correct / (double) total;
        System.out.println("stories260k condition vector: layer " + cond.layer() + ", threshold " + cond.threshold()
                + ", training F1 " + cond.f1() + ", held-out accuracy " + correct + "/" + total);
        assertTrue(accuracy >= 0.85, "held-out accuracy " + accuracy + " at layer " + cond.layer() + " (training F1 "
                + cond.f1() + "); wrong: " + wrong);
    }

    /** Mean over the held-out items of log P(happy word) − log P(sad word) after the prompt. */
    private static double meanLogOdds(SteeringPlan plan) {
        double sum = 0;
        for (ContinuationItem item : heldOut) {
            sum += steered.continuationLogProb(item.prompt(), item.positive(), plan)
                    - steered.continuationLogProb(item.prompt(), item.negative(), plan);
        }
        return sum / heldOut.size();
    }

    /** exp of the mean negative log-likelihood of every token of the texts (after BOS), pooled. */
    private static double perplexity(List<String> texts, SteeringPlan plan) {
        double nll = 0;
        int tokens = 0;
        for (String t : texts) {
            for (double lp : steered.continuationLogProbs("", t, plan)) {
                nll -= lp;
                tokens++;
            }
        }
        return Math.exp(nll / tokens);
    }

    /** The strengths measured: the chosen one, its half, zero and their negations, rising. */
    private static double[] strengths() {
        return new double[] {-strength, -strength / 2, 0, strength / 2, strength};
    }

    /**
     * Lexicon score (happy words − sad words, per word) of greedy 40-token continuations of the held-out prompts at
     * each of {@link #strengths()}: one batch, a plan per row.
     */
    private static synchronized double[] lexiconScores() {
        if (lexicon == null) {
            double[] strengths = strengths();
            List<String> prompts = new ArrayList<>();
            List<SteeringPlan> rowPlans = new ArrayList<>();
            for (double s : strengths) {
                for (ContinuationItem item : heldOut) {
                    prompts.add(item.prompt());
                    rowPlans.add(s == 0 ? SteeringPlan.NONE : SteeringPlan.of(happy, s));
                }
            }
            List<GenerationResult> out = steered.generateBatch(prompts, GenerationConfig.greedy(40), rowPlans,
                    TokenListener.NONE, CancellationToken.NEVER);
            lexicon = new double[strengths.length];
            for (int k = 0; k < strengths.length; k++) {
                StringBuilder all = new StringBuilder();
                for (GenerationResult r : out.subList(k * heldOut.size(), (k + 1) * heldOut.size())) {
                    all.append(r.text()).append(' ');
                }
                lexicon[k] = lexiconScore(all.toString());
            }
            System.out.println("stories260k layer " + layer + ", strengths " + java.util.Arrays.toString(strengths)
                    + ": lexicon score of greedy continuations " + java.util.Arrays.toString(lexicon));
        }
        return lexicon.clone();
    }

    /** (happy words − sad words) / words of {@code text}, words being runs of letters, case-folded. */
    static double lexiconScore(String text) {
        int words = 0;
        int score = 0;
        for (String w : text.toLowerCase(Locale.ROOT).split("[^a-z]+")) {
            if (w.isEmpty()) {
                continue;
            }
            words++;
            score += HAPPY_WORDS.contains(w) ? 1 : SAD_WORDS.contains(w) ? -1 : 0;
        }
        return words == 0 ? 0 : score / (double) words;
    }

    @Test
    void lexiconScoreCountsHappyMinusSadWordsPerWord() {
        assertEquals((1 - 2) / 7.0, lexiconScore("Lily was happy, then SAD and lost."), 1e-12);
        assertEquals(0.0, lexiconScore(""));
    }
}
