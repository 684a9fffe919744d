package io.steer4j.examples;

import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.djl.generation.GenerationConfig;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.steering.SteeredModel;
import io.steer4j.djl.steering.SteeringVectorComputer;
import io.steer4j.djl.steering.SteeringVectorResult;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * README use case "steer several layers at once": computes the sentiment vector for a band of layers in one pass,
 * shows how well each layer separates the pairs, and adds it at all of them, spreading the total strength evenly
 * (adding the full strength at every layer compounds and quickly breaks the text).
 *
 * <pre>
 * java -cp steer4j.jar io.steer4j.examples.MultiLayerSteering [model] [totalStrength] [firstLayer] [lastLayer]
 * </pre>
 */
public final class MultiLayerSteering {
    private MultiLayerSteering() {
    }

    /**
     * @param pairAccuracy     per layer: fraction of pairs the layer's direction orders correctly
     * @param strengthPerLayer the multiplier applied at each layer
     */
    public record Result(Map<Integer, Double> pairAccuracy, double strengthPerLayer, String unsteered,
                         String steered) {
    }

    /** Steers {@code prompt} at layers {@code first..last} with {@code totalStrength} split evenly. */
    public static Result run(LanguageModel model, String prompt, int first, int last, double totalStrength,
                             int maxTokens) {
        List<Integer> layers = new ArrayList<>();
        for (int l = first; l <= last; l++) {
            layers.add(l);
        }
        // One pass over the dataset captures every requested layer.
        SteeringVectorResult result = SteeringVectorComputer.builder(model)
                .layers(layers)
                .build()
                .compute(ExampleDatasets.load(SteeringDefaults.forModel(model).dataset()));   // per family
        Map<Integer, Double> accuracy = new LinkedHashMap<>();
        for (int l : layers) {
            accuracy.put(l, result.pairAccuracy(l));
        }
        double perLayer = totalStrength / layers.size();
        SteeringPlan plan = SteeringPlan.of(result.vector(), perLayer);   // every layer the vector has

        SteeredModel steered = SteeredModel.of(model, plan);
        GenerationConfig greedy = GenerationConfig.builder().maxNewTokens(maxTokens).repetitionPenalty(1.2).build();
        return new Result(accuracy, perLayer, steered.generate(prompt, greedy, SteeringPlan.NONE).text(),
                steered.generate(prompt, greedy).text());
    }

    /** Runs the example: {@code [model] [totalStrength] [firstLayer] [lastLayer]}. */
    public static void main(String[] args) {
        String prompt = "My week at work was";
        try (LanguageModel model = LanguageModel.load(Examples.modelRef(args))) {
            int mid = Examples.middleLayer(model);
            double total = Examples.doubleArg(args, 1, 6.0);
            int first = Examples.intArg(args, 2, Math.max(0, mid - 2));
            int last = Examples.intArg(args, 3, Math.min(model.numLayers() - 1, mid + 2));
            Result r = run(model, prompt, first, last, total, 30);
            r.pairAccuracy().forEach((l, a) -> System.out.printf("layer %2d  pair accuracy %.2f%n", l, a));
            System.out.printf("strength %.2f per layer (%.1f in total)%n", r.strengthPerLayer(), total);
            System.out.println("unsteered : " + prompt + Examples.oneLine(r.unsteered()));
            System.out.println("steered   : " + prompt + Examples.oneLine(r.steered()));
        }
    }
}
