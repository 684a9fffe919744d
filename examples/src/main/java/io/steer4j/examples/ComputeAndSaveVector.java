package io.steer4j.examples;

import io.steer4j.core.format.vectorfile.VectorFiles;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.core.vector.VectorMethod;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.steering.SteeringVectorComputer;
import io.steer4j.djl.steering.SteeringVectorResult;

import java.io.IOException;
import java.nio.file.Path;

/**
 * README use case "compute a vector and save it": builds a helpfulness direction from the shipped
 * {@code helpfulness.json} (two lists, {@code helpful} vs {@code unhelpful} replies to the same requests), prints
 * how well each layer's direction separates the pairs, and saves the vector.
 *
 * <pre>
 * java -cp steer4j.jar io.steer4j.examples.ComputeAndSaveVector [model] [out.safetensors|out.gguf] [method]
 * </pre>
 */
public final class ComputeAndSaveVector {
    private ComputeAndSaveVector() {
    }

    /**
     * Computes the helpfulness vector at every layer and writes it to {@code out} (format by extension).
     *
     * @param model  a loaded model
     * @param out    where to save ({@code .safetensors} keeps all metadata)
     * @param method how to reduce activations to a direction
     * @return the computed vector with the activations it came from
     */
    public static SteeringVectorResult run(LanguageModel model, Path out, VectorMethod method) throws IOException {
        SteeringVectorResult result = SteeringVectorComputer.builder(model)
                .method(method)            // mean_difference (CAA), pca_diff / pca_center (repeng), ...
                .batchSize(8)              // texts per forward pass
                .build()                   // every layer, resid_post, last token by default
                // "helpful" names the positive list; fitToContext is a no-op unless the model's context is tiny
                .compute(Examples.fitToContext(model, ExampleDatasets.load("helpfulness.json", "helpful")));
        SteeringVector vector = result.vector();
        if (out.getFileName().toString().endsWith(".gguf") && vector.hasLayer(0)) {
            // llama.cpp control vectors cannot hold layer 0 (direction.N is added after block N, N >= 1).
            vector = vector.restrictTo(1, vector.layers().last());
        }
        VectorFiles.write(vector, out);    // atomic: temp file, then move
        return result;
    }

    /** Runs the example: {@code [model] [out] [method]}; without {@code out} it writes into a new temporary folder. */
    public static void main(String[] args) throws IOException {
        Path out = Examples.outputPath(args, 1, "helpfulness.safetensors");
        VectorMethod method = VectorMethod.parse(args.length > 2 ? args[2] : "mean_difference");
        try (LanguageModel model = LanguageModel.load(Examples.modelRef(args))) {
            SteeringVectorResult r = run(model, out, method);
            System.out.println("layer  pair-accuracy  norm");
            for (int layer : r.vector().layers()) {
                System.out.printf("%5d  %13.2f  %.3f%n", layer, r.pairAccuracy(layer), r.vector().norm(layer));
            }
            System.out.println("saved " + out.toAbsolutePath());
        }
    }
}
