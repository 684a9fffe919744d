package io.steer4j.examples;

import io.steer4j.core.dataset.ContrastiveDataset;
import io.steer4j.core.dataset.ContrastivePair;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.steering.SteeringVectorComputer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Small helpers the example programs share: reading the model argument, picking a middle layer, and computing
 * the sentiment vector most examples steer with.
 */
public final class Examples {
    /** The model every example uses when no argument is given (resolved through the Hugging Face cache). */
    public static final String DEFAULT_MODEL = "gpt2";

    private Examples() {
    }

    /** The model reference: {@code args[0]} when present, else {@value #DEFAULT_MODEL}. */
    public static String modelRef(String[] args) {
        return args.length > 0 && !args[0].isBlank() ? args[0] : DEFAULT_MODEL;
    }

    /**
     * Where an example writes its output: {@code args[index]} when given, else {@code defaultName} inside a new
     * temporary folder, never the current directory (which may be a source tree the user did not mean to fill).
     *
     * @param args        the program arguments
     * @param index       the position of the output argument
     * @param defaultName the file or folder name used in the temporary folder
     * @return the path to write; its parent exists when it was not given
     * @throws IOException when the temporary folder cannot be created
     */
    public static Path outputPath(String[] args, int index, String defaultName) throws IOException {
        if (args.length > index && !args[index].isBlank()) {
            return Path.of(args[index]);
        }
        return Files.createTempDirectory("steer4j-example").resolve(defaultName);
    }

    /** {@code args[index]} parsed as a double, or {@code fallback} when absent. */
    public static double doubleArg(String[] args, int index, double fallback) {
        return args.length > index ? Double.parseDouble(args[index]) : fallback;
    }

    /** {@code args[index]} parsed as an int, or {@code fallback} when absent. */
    public static int intArg(String[] args, int index, int fallback) {
        return args.length > index ? Integer.parseInt(args[index]) : fallback;
    }

    /**
     * The layer in the middle of the stack ({@code numLayers / 2}: 6 for GPT-2 small), where concept directions
     * such as sentiment are usually well formed and steering still has room to act.
     */
    public static int middleLayer(LanguageModel model) {
        return model.numLayers() / 2;
    }

    /**
     * A sentiment vector (positive minus negative, mean difference of last-token activations) for the given
     * layers, from the shipped dataset chosen for the model's family ({@link SteeringDefaults#dataset()}:
     * {@code sentiment.json} for GPT-2, {@code stories-sentiment.json} for Llama-style models such as stories260k).
     */
    public static SteeringVector sentimentVector(LanguageModel model, int... layers) {
        return SteeringVectorComputer.builder(model)
                .layers(layers)
                .keepActivations(false)
                .build()
                .compute(ExampleDatasets.load(SteeringDefaults.forModel(model).dataset()))
                .vector();
    }

    /**
     * The dataset with every text that is longer than the model's context cut from the left, keeping its last
     * tokens (vectors are read at the last token, so the end must survive). A no-op for GPT-2's 1,024-token
     * context and the shipped datasets; it matters for small test models.
     */
    public static ContrastiveDataset fitToContext(LanguageModel model, ContrastiveDataset data) {
        int context = model.config().contextLength();
        List<ContrastivePair> pairs = new ArrayList<>();
        boolean changed = false;
        for (ContrastivePair p : data.pairs()) {
            String a = tail(model, p.positive(), context);
            String b = tail(model, p.negative(), context);
            changed |= !a.equals(p.positive()) || !b.equals(p.negative());
            pairs.add(new ContrastivePair(a, b));
        }
        return changed ? new ContrastiveDataset(data.name(), pairs) : data;
    }

    private static String tail(LanguageModel model, String text, int context) {
        long[] ids = model.tokenizer().encode(text);
        int keep = context;
        String out = text;
        while (ids.length > context && keep > 0) {
            keep -= 2;   // decoding a cut multi-byte character and re-encoding it can add a token or two
            out = model.tokenizer().decode(Arrays.copyOfRange(ids, ids.length - keep, ids.length), true);
            if (model.tokenizer().encode(out).length <= context) {
                break;
            }
        }
        return out;
    }

    /** Puts a completion on one line for printing. */
    public static String oneLine(String text) {
        return text.replace("\r", "").replace("\n", "\\n");
    }
}
