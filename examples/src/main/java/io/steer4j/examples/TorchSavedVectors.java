package io.steer4j.examples;

import io.steer4j.core.format.VectorImportOptions;
import io.steer4j.core.format.vectorfile.VectorFiles;
import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.djl.generation.GenerationConfig;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.steering.SteeredModel;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The article's flow with vectors a Python user already has: three {@code torch.save}d tensors
 * ({@code helpfulness_vector.pt}, {@code bias_reduction_vector.pt}, {@code reasoning_vector.pt}), loaded (safely:
 * nothing in them is executed), combined {@code 0.5 · helpfulness + 0.3 · bias_reduction + 0.2 · reasoning} and
 * added at one layer while generating. Each file holds one bare tensor, so the layer is given here, as
 * {@code torch.load} users give it when they register their hook.
 *
 * <pre>
 * java -cp steer4j.jar io.steer4j.examples.TorchSavedVectors [model] [vectorFolder] [layer] [strength] [maxTokens]
 * </pre>
 */
public final class TorchSavedVectors {
    /** The article's behaviours, in the order of {@link #WEIGHTS}. */
    public static final List<String> BEHAVIOURS = List.of("helpfulness", "bias_reduction", "reasoning");
    /** The article's weights. */
    public static final double[] WEIGHTS = {0.5, 0.3, 0.2};

    private TorchSavedVectors() {
    }

    /**
     * @param combined  {@code Σ WEIGHTS[k] · vector[k]} at {@code layer}
     * @param unsteered plain completion
     * @param steered   completion with {@code strength · combined} added at {@code layer}
     */
    public record Result(int layer, SteeringVector combined, String unsteered, String steered) {
    }

    /** Loads {@code FOLDER/{behaviour}_vector.pt}, combines them and generates {@code prompt} with and without. */
    public static Result run(LanguageModel model, Path folder, int layer, double strength, String prompt,
                             int maxTokens) throws IOException {
        VectorImportOptions atLayer = VectorImportOptions.defaults().withLayer(layer);
        List<SteeringVector> vectors = new ArrayList<>();
        for (String b : BEHAVIOURS) {
            vectors.add(VectorFiles.read(folder.resolve(b + "_vector.pt"), atLayer));
        }
        SteeringVector combined = SteeringVector.weightedSum(vectors, WEIGHTS);
        SteeredModel steered = SteeredModel.of(model, SteeringPlan.of(combined, strength));
        GenerationConfig greedy = config(maxTokens);
        return new Result(layer, combined, steered.generate(prompt, greedy, SteeringPlan.NONE).text(),
                steered.generate(prompt, greedy).text());
    }

    /** Greedy decoding with a mild repetition penalty, as the other examples use. */
    public static GenerationConfig config(int maxTokens) {
        return GenerationConfig.builder().maxNewTokens(maxTokens).repetitionPenalty(1.2).build();
    }

    /** Runs the example: {@code [model] [vectorFolder] [layer] [strength] [maxTokens]}. */
    public static void main(String[] args) throws IOException {
        Path folder = Path.of(args.length > 1 ? args[1] : ".");
        double strength = Examples.doubleArg(args, 3, 1.0);
        int maxTokens = Examples.intArg(args, 4, 30);
        String prompt = "Once upon a time";
        try (LanguageModel model = LanguageModel.load(Examples.modelRef(args))) {
            int layer = Examples.intArg(args, 2, Examples.middleLayer(model));
            Result r = run(model, folder, layer, strength, prompt, maxTokens);
            System.out.printf("layer %d, |0.5·h + 0.3·b + 0.2·r| = %.3f, strength %.2f%n", layer,
                    r.combined().norm(layer), strength);
            System.out.println("unsteered : " + prompt + Examples.oneLine(r.unsteered()));
            System.out.println("steered   : " + prompt + Examples.oneLine(r.steered()));
        }
    }
}
