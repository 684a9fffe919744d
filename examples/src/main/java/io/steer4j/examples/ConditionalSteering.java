package io.steer4j.examples;

import io.steer4j.core.dataset.ContrastiveDataset;
import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.djl.generation.GenerationConfig;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.steering.KeywordSelector;
import io.steer4j.djl.steering.SteeredModel;

import java.util.ArrayList;
import java.util.List;

/**
 * README use case "conditional steering" (keyword rule): one {@link SteeredModel} serves every request, and a
 * {@link KeywordSelector} adds a positive-sentiment vector only to prompts that ask for something rude. Other
 * prompts run on the plain model, bit for bit.
 *
 * <pre>
 * java -cp steer4j.jar io.steer4j.examples.ConditionalSteering [model] [strength] [maxTokens]
 * </pre>
 */
public final class ConditionalSteering {
    /** Words that mark a prompt as asking for rude content. */
    public static final List<String> KEYWORDS = List.of("insult", "rude", "mean", "nasty", "roast", "sarcastic",
            "make fun", "put-down", "snarky", "condescending", "cutting", "mock", "belittl", "obnoxious", "tease",
            "snide", "spiteful", "scathing", "sneer", "cruel");

    private ConditionalSteering() {
    }

    /**
     * One request.
     *
     * @param fired     whether the keyword rule chose the steering plan
     * @param unsteered the plain model's completion, for comparison
     * @param output    what the conditionally steered model produced
     */
    public record Row(String prompt, boolean fired, String unsteered, String output) {
    }

    /**
     * Generates for {@code perGroup} rude and {@code perGroup} benign prompts from the shipped
     * {@code conditional-prompts.json}.
     */
    public static List<Row> run(LanguageModel model, double strength, int perGroup, int maxTokens) {
        int layer = Examples.middleLayer(model);
        SteeringVector kindness = Examples.sentimentVector(model, layer);

        // The rule: steer towards positive sentiment when a keyword appears, otherwise leave the model alone.
        KeywordSelector rule = new KeywordSelector(KEYWORDS, SteeringPlan.of(kindness, strength), SteeringPlan.NONE);
        SteeredModel model2 = SteeredModel.builder(model).selector(rule).build();

        // Two-list file: "harmful_like" (rude requests) vs "benign".
        ContrastiveDataset prompts = ExampleDatasets.load("conditional-prompts.json", "harmful_like");
        List<String> chosen = new ArrayList<>(prompts.positives().subList(0, perGroup));
        chosen.addAll(prompts.negatives().subList(0, perGroup));

        GenerationConfig greedy = GenerationConfig.builder().maxNewTokens(maxTokens).repetitionPenalty(1.2).build();
        List<Row> rows = new ArrayList<>();
        for (String p : chosen) {
            // generate(prompt, config) asks the selector for this prompt's plan (generateBatch does the same
            // per row, for serving many requests at once).
            String output = model2.generate(p, greedy).text();
            String plain = model2.generate(p, greedy, SteeringPlan.NONE).text();
            rows.add(new Row(p, rule.fires(p), plain, output));
        }
        return rows;
    }

    /** Runs the example: {@code [model] [strength] [maxTokens]}. */
    public static void main(String[] args) {
        double strength = Examples.doubleArg(args, 1, 4.0);
        int maxTokens = Examples.intArg(args, 2, 30);
        try (LanguageModel model = LanguageModel.load(Examples.modelRef(args))) {
            for (Row r : run(model, strength, 3, maxTokens)) {
                System.out.println((r.fired() ? "[steered]   " : "[unsteered] ") + r.prompt());
                System.out.println("    output : " + Examples.oneLine(r.output()));
                if (r.fired()) {
                    System.out.println("    plain  : " + Examples.oneLine(r.unsteered()));
                }
            }
        }
    }
}
