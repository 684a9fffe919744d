package io.steer4j.examples;

import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.djl.generation.GenerationConfig;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.steering.SteeredModel;
import io.steer4j.djl.steering.SteeringVectorComputer;

import java.util.List;

/**
 * README use case "combine vectors": a weighted sum of a sentiment and a formality vector, applied as one
 * steering vector. Also prints how similar the two directions are: combining nearly parallel vectors mostly
 * strengthens one concept instead of adding a second.
 *
 * <pre>
 * java -cp steer4j.jar io.steer4j.examples.CombineVectors [model] [sentimentWeight] [formalityWeight] [maxTokens]
 * </pre>
 */
public final class CombineVectors {
    private CombineVectors() {
    }

    /**
     * @param cosine    cosine similarity of the sentiment and formality directions at the layer
     * @param combined  {@code ws·sentiment + wf·formality}
     * @param unsteered plain completion
     * @param steered   completion steered by {@code combined}
     */
    public record Result(int layer, double cosine, SteeringVector combined, String unsteered, String steered) {
    }

    /** Combines the two vectors at the middle layer and generates {@code prompt} with and without them. */
    public static Result run(LanguageModel model, String prompt, double sentimentWeight, double formalityWeight,
                             int maxTokens) {
        int layer = Examples.middleLayer(model);
        SteeringVector sentiment = Examples.sentimentVector(model, layer);
        SteeringVector formality = SteeringVectorComputer.builder(model)
                .layers(layer)
                .build()
                .compute(ExampleDatasets.load("formality.json"))   // positive = formal register
                .vector();

        // Layer by layer: Σ w_k · v_k (the same as sentiment.times(ws).plus(formality.times(wf))).
        SteeringVector combined = SteeringVector.weightedSum(List.of(sentiment, formality),
                new double[] {sentimentWeight, formalityWeight});

        SteeredModel steered = SteeredModel.of(model, SteeringPlan.of(combined, 1.0));
        GenerationConfig greedy = GenerationConfig.builder().maxNewTokens(maxTokens).repetitionPenalty(1.2).build();
        String plain = steered.generate(prompt, greedy, SteeringPlan.NONE).text();
        String mixed = steered.generate(prompt, greedy).text();   // default plan: the combination
        return new Result(layer, sentiment.cosine(formality, layer), combined, plain, mixed);
    }

    /** Runs the example: {@code [model] [sentimentWeight] [formalityWeight] [maxTokens]}. */
    public static void main(String[] args) {
        double ws = Examples.doubleArg(args, 1, 3.0);
        double wf = Examples.doubleArg(args, 2, 3.0);
        int maxTokens = Examples.intArg(args, 3, 30);
        String prompt = "Hey, about the meeting tomorrow,";
        try (LanguageModel model = LanguageModel.load(Examples.modelRef(args))) {
            Result r = run(model, prompt, ws, wf, maxTokens);
            System.out.printf("layer %d, cos(sentiment, formality) = %.3f, combined norm %.3f%n", r.layer(),
                    r.cosine(), r.combined().norm(r.layer()));
            System.out.println("unsteered : " + prompt + Examples.oneLine(r.unsteered()));
            System.out.printf("%.1f·sentiment + %.1f·formality : %s%s%n", ws, wf, prompt,
                    Examples.oneLine(r.steered()));
        }
    }
}
