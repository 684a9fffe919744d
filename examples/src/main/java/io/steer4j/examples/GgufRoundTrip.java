package io.steer4j.examples;

import io.steer4j.core.format.vectorfile.VectorFiles;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.djl.model.LanguageModel;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * README use case "llama.cpp interop": saves a vector as a GGUF control vector (usable with llama.cpp's
 * {@code --control-vector}) and reads it back. GGUF tensor {@code direction.N} is added to the output of block N,
 * which is steer4j's layer N, so indices carry over unchanged; layer 0 has no GGUF name and is left out.
 *
 * <pre>
 * java -cp steer4j.jar io.steer4j.examples.GgufRoundTrip [model] [out.gguf]
 * </pre>
 */
public final class GgufRoundTrip {
    private GgufRoundTrip() {
    }

    /**
     * @param file        the GGUF file written
     * @param written     the vector saved
     * @param loaded      the vector read back
     * @param maxAbsDiff  largest difference between the two over all layers (0 for a faithful round trip)
     */
    public record Result(Path file, SteeringVector written, SteeringVector loaded, double maxAbsDiff) {
    }

    /** Computes the sentiment vector at layers 1..L-1, writes {@code out} (a .gguf path) and reads it back. */
    public static Result run(LanguageModel model, Path out) throws IOException {
        int[] layers = new int[model.numLayers() - 1];
        for (int i = 0; i < layers.length; i++) {
            layers[i] = i + 1;   // layer 0 cannot be written to GGUF
        }
        SteeringVector vector = Examples.sentimentVector(model, layers);
        VectorFiles.write(vector, out);                 // by extension: .gguf -> llama.cpp control vector
        SteeringVector back = VectorFiles.read(out);    // directions and model id survive; other metadata does not
        if (!back.layers().equals(vector.layers())) {
            throw new IllegalStateException("layers changed in the round trip: " + vector.layers() + " -> "
                    + back.layers());
        }
        double maxDiff = 0;
        for (int l : vector.layers()) {
            float[] a = vector.direction(l);
            float[] b = back.direction(l);
            for (int i = 0; i < a.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
            }
        }
        return new Result(out, vector, back, maxDiff);
    }

    /** Runs the example: {@code [model] [out.gguf]}; without {@code out.gguf} it writes into a new temporary folder. */
    public static void main(String[] args) throws IOException {
        Path out = Examples.outputPath(args, 1, "sentiment.gguf");
        try (LanguageModel model = LanguageModel.load(Examples.modelRef(args))) {
            Result r = run(model, out);
            System.out.println("wrote " + r.file().toAbsolutePath() + " with layers " + r.written().layers());
            System.out.println("read back: model hint '" + r.loaded().metadata().modelId() + "', layers "
                    + r.loaded().layers() + ", max |difference| " + r.maxAbsDiff());
            System.out.println("use it with llama.cpp: llama-cli -m model.gguf --control-vector-scaled "
                    + out.getFileName() + " 4.0 --control-vector-layer-range " + r.written().layers().first() + " "
                    + r.written().layers().last());
            System.out.println("norms per layer: " + Arrays.toString(r.loaded().norms().values().stream()
                    .mapToDouble(Double::doubleValue).map(d -> Math.round(d * 1000) / 1000.0).toArray()));
        }
    }
}
