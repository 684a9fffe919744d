package io.steer4j.examples;

import io.steer4j.core.dataset.ContrastiveDataset;
import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.djl.generation.GenerationConfig;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.steering.ConditionSearch;
import io.steer4j.djl.steering.ConditionVectorSelector;
import io.steer4j.djl.steering.SteeredModel;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * README use case "conditional steering" (condition vector): instead of a keyword rule, the model's own hidden
 * state decides. {@link ConditionSearch} learns, from example prompts, the layer, condition direction and
 * similarity threshold that best separate rude requests from benign ones (reporting F1); the resulting
 * {@link ConditionVectorSelector} then adds a positive-sentiment vector only when the condition fires.
 *
 * <pre>
 * java -cp steer4j.jar io.steer4j.examples.ConditionVectorSteering [model] [strength] [maxTokens]
 * </pre>
 */
public final class ConditionVectorSteering {
    private ConditionVectorSteering() {
    }

    /**
     * What the example found and produced.
     *
     * @param condition the chosen layer, threshold and F1 on held-out prompts' training split
     * @param heldOutF1 F1 of the selector on prompts the search did not see
     * @param outputs   prompt and steered-or-not completion for the held-out prompts
     */
    public record Outcome(ConditionSearch.Result condition, double heldOutF1, List<String[]> outputs) {
    }

    /** Learns the condition on the first {@code train} prompts of each group and tests on the next {@code test}. */
    public static Outcome run(LanguageModel model, double strength, int train, int test, int maxTokens) {
        ContrastiveDataset prompts = ExampleDatasets.load("conditional-prompts.json", "harmful_like");
        List<String> rude = prompts.positives();
        List<String> benign = prompts.negatives();
        List<Integer> layers = IntStream.range(0, model.numLayers()).boxed().toList();

        // Pick layer, direction and threshold by F1 on the training prompts.
        ConditionSearch.Result cond = ConditionSearch.search(model, rude.subList(0, train), benign.subList(0, train),
                layers);
        SteeringVector kindness = Examples.sentimentVector(model, Examples.middleLayer(model));
        ConditionVectorSelector selector = cond.selector(model, SteeringPlan.of(kindness, strength), SteeringPlan.NONE);
        SteeredModel steered = SteeredModel.builder(model).selector(selector).build();

        // Score the selector on prompts it has not seen, and generate for them.
        int tp = 0;
        int fp = 0;
        List<String[]> outputs = new ArrayList<>();
        GenerationConfig greedy = GenerationConfig.builder().maxNewTokens(maxTokens).repetitionPenalty(1.2).build();
        for (String p : rude.subList(train, train + test)) {
            boolean fired = selector.fires(p);
            tp += fired ? 1 : 0;
            outputs.add(new String[] {p, fired ? "steered" : "plain", steered.generate(p, greedy).text()});
        }
        for (String p : benign.subList(train, train + test)) {
            boolean fired = selector.fires(p);
            fp += fired ? 1 : 0;
            outputs.add(new String[] {p, fired ? "steered" : "plain", steered.generate(p, greedy).text()});
        }
        double f1 = tp == 0 ? 0 : 2.0 * tp / (2.0 * tp + fp + (test - tp));
        return new Outcome(cond, f1, outputs);
    }

    /** Runs the example: {@code [model] [strength] [maxTokens]}. */
    public static void main(String[] args) {
        double strength = Examples.doubleArg(args, 1, 4.0);
        int maxTokens = Examples.intArg(args, 2, 30);
        try (LanguageModel model = LanguageModel.load(Examples.modelRef(args))) {
            Outcome o = run(model, strength, 20, 8, maxTokens);
            System.out.printf("condition layer %d, threshold %.3f, training F1 %.2f, held-out F1 %.2f%n",
                    o.condition().layer(), o.condition().threshold(), o.condition().f1(), o.heldOutF1());
            System.out.println("F1 by layer: " + o.condition().f1ByLayer());
            for (String[] r : o.outputs()) {
                System.out.println("[" + r[1] + "] " + r[0] + "\n    " + Examples.oneLine(r[2]));
            }
        }
    }
}
