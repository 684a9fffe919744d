package io.steer4j.examples;

import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.djl.generation.GenerationConfig;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.steering.SteeredModel;

/**
 * README use case "steer generation": computes a sentiment vector at the middle layer and generates the same
 * prompt without steering, with {@code +strength} (happier) and with {@code -strength} (gloomier).
 *
 * <pre>
 * java -cp steer4j.jar io.steer4j.examples.SteerGeneration [model] [strength] [maxTokens]
 * </pre>
 */
public final class SteerGeneration {
    private SteerGeneration() {
    }

    /**
     * Completions of one prompt.
     *
     * @param layer      where the vector was added
     * @param strength   the multiplier used
     * @param unsteered  plain model
     * @param positive   steered with {@code +strength}
     * @param negative   steered with {@code -strength}
     */
    public record Result(int layer, double strength, String unsteered, String positive, String negative) {
    }

    /** Generates {@code prompt} greedily three ways. */
    public static Result run(LanguageModel model, String prompt, double strength, int maxTokens) {
        int layer = Examples.middleLayer(model);
        SteeringVector sentiment = Examples.sentimentVector(model, layer);

        SteeredModel steered = SteeredModel.builder(model).build();   // the plan travels with each call
        GenerationConfig greedy = GenerationConfig.builder().maxNewTokens(maxTokens).repetitionPenalty(1.2).build();

        String plain = steered.generate(prompt, greedy, SteeringPlan.NONE).text();
        String happy = steered.generate(prompt, greedy, SteeringPlan.of(sentiment, strength)).text();
        String sad = steered.generate(prompt, greedy, SteeringPlan.of(sentiment, -strength)).text();
        return new Result(layer, strength, plain, happy, sad);
    }

    /** Runs the example: {@code [model] [strength] [maxTokens]}. */
    public static void main(String[] args) {
        double strength = Examples.doubleArg(args, 1, 4.0);
        int maxTokens = Examples.intArg(args, 2, 30);
        String prompt = "I went to the park today and";
        try (LanguageModel model = LanguageModel.load(Examples.modelRef(args))) {
            Result r = run(model, prompt, strength, maxTokens);
            System.out.printf("layer %d, strength %.1f%n", r.layer(), r.strength());
            System.out.println("unsteered : " + prompt + Examples.oneLine(r.unsteered()));
            System.out.println("positive  : " + prompt + Examples.oneLine(r.positive()));
            System.out.println("negative  : " + prompt + Examples.oneLine(r.negative()));
        }
    }
}
