package io.steer4j.cli;

import io.steer4j.core.dataset.ContrastiveDataset;
import io.steer4j.core.dataset.ContrastiveDatasets;
import io.steer4j.core.format.vectorfile.VectorFiles;
import io.steer4j.core.plan.HookPoint;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.core.vector.VectorMethod;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.steering.ReadPosition;
import io.steer4j.djl.steering.SteeringVectorComputer;
import io.steer4j.djl.steering.SteeringVectorResult;
import io.steer4j.examples.ExampleDatasets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;

/** {@code steer4j compute}: computes a steering vector from a contrastive dataset and saves it. */
@Command(name = "compute", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Compute a steering vector from contrastive pairs and save it.",
                "Output: .safetensors keeps all metadata; .gguf is a llama.cpp control vector.",
                "Prints, per layer, the pair accuracy (fraction of pairs whose positive projects above its "
                        + "negative; 0.5 = chance) and the direction's norm."},
        footer = {"", "Dataset files:",
                "  .json   [{\"positive\": ..., \"negative\": ...}, ...], A/B items {\"question\",",
                "          \"answer_matching_behavior\", \"answer_not_matching_behavior\"},",
                "          or two lists {\"a\": [...], \"b\": [...]} (see --positive-key)",
                "  .jsonl  one pair object or A/B item per line",
                "  .csv    a header row naming the columns positive and negative",
                "Shipped: builtin:sentiment.json, builtin:formality.json,",
                "  builtin:helpfulness.json (two lists), builtin:ab-sycophancy.jsonl",
                "", "Example:",
                "  steer4j compute --model gpt2 --dataset builtin:sentiment.json \\",
                "      --layers 4-8 --out happy.safetensors"})
public final class ComputeCommand extends BaseCommand {
    @picocli.CommandLine.Mixin
    DeviceOption deviceOption = new DeviceOption();

    @Option(names = "--model", required = true, paramLabel = "DIR|ID",
            description = "Model folder or Hugging Face id, e.g. gpt2.")
    String model;

    @Option(names = "--dataset", required = true, paramLabel = "FILE",
            description = "Contrastive dataset (.json, .jsonl, .csv) or builtin:NAME.")
    String dataset;

    @Option(names = "--positive-key", paramLabel = "KEY",
            description = "For the two-list JSON form: the key of the positive list (default: 'positive', else "
                    + "the first key).")
    String positiveKey;

    @Option(names = "--layers", paramLabel = "LIST", defaultValue = "all",
            description = "Layers to compute: all, or indices and ranges such as 3,5-7 (default: ${DEFAULT-VALUE}).")
    String layers;

    @Option(names = "--method", paramLabel = "METHOD", defaultValue = "mean_difference",
            description = "mean_difference, pca_diff, pca_center or logistic_regression "
                    + "(default: ${DEFAULT-VALUE}).")
    String method;

    @Option(names = "--read", paramLabel = "POS", defaultValue = "last",
            description = "Which token stands for an example: last, mean, an index (negative from the end), or for "
                    + "BERT encoders cls or token:TEXT (e.g. token:[MASK]) "
                    + "(default: ${DEFAULT-VALUE}).")
    String read;

    @Option(names = "--hook-point", paramLabel = "POINT", defaultValue = "resid_post",
            description = "resid_post, resid_pre, attn_out or mlp_out (default: ${DEFAULT-VALUE}).")
    String hookPoint;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "8",
            description = "Texts per forward pass (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Output .safetensors or .gguf.")
    Path out;

    @Option(names = "--no-progress", description = "Do not draw progress bars.")
    boolean noProgress;

    @Override
    protected int run() throws Exception {
        requireWritableFile(out, "--out");
        String ext = CliSupport.extension(out);
        if (!ext.equals("safetensors") && !ext.equals("gguf")) {
            throw usage("--out must end in .safetensors or .gguf, got " + out);
        }
        boolean gguf = ext.equals("gguf");
        VectorMethod vectorMethod;
        ReadPosition readPosition;
        HookPoint point;
        try {
            vectorMethod = VectorMethod.parse(method.toLowerCase(Locale.ROOT));
            readPosition = ReadPosition.parse(read);
            point = HookPoint.parse(hookPoint);
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        if (gguf && point != HookPoint.RESID_POST) {
            throw usage("GGUF control vectors are applied at resid_post; use --hook-point resid_post or a "
                    + ".safetensors output");
        }
        if (batch < 1) {
            throw usage("--batch must be >= 1, got " + batch);
        }
        ContrastiveDataset data = loadDataset(Integer.MAX_VALUE);   // format errors before the slow model load

        if (Files.isDirectory(Path.of(model)) && io.steer4j.djl.model.EncoderModel.isEncoder(Path.of(model))) {
            return computeOnEncoder(data, vectorMethod, readPosition, point, gguf);
        }
        try (LanguageModel lm = CliSupport.loadModel(model, deviceOption)) {
            int maxChars = SteeringVectorComputer.maxTextChars(lm);
            if (data.pairs().stream().anyMatch(p -> p.positive().length() > maxChars
                    || p.negative().length() > maxChars)) {
                data = loadDataset(maxChars);   // refuses the first text too long to fit, naming its file and line
            }
            List<Integer> layerList;
            try {
                layerList = CliSupport.parseLayers(layers, lm.numLayers());
            } catch (IllegalArgumentException e) {
                throw usage("--layers: " + e.getMessage());
            }
            if (gguf && layerList.contains(0)) {
                if (!layers.strip().equalsIgnoreCase("all")) {
                    throw usage("layer 0 cannot be written to a GGUF control vector (llama.cpp adds direction.N to "
                            + "the output of block N, N >= 1); leave it out of --layers or write .safetensors");
                }
                layerList = layerList.subList(1, layerList.size());
                if (layerList.isEmpty()) {
                    throw usage("the model has only layer 0, which a GGUF control vector cannot hold");
                }
                err().println("note: leaving out layer 0, which a GGUF control vector cannot hold");
            }
            long start = System.nanoTime();
            SteeringVectorResult result = SteeringVectorComputer.builder(lm)
                    .layers(layerList)
                    .method(vectorMethod)
                    .readPosition(readPosition)
                    .hookPoint(point)
                    .batchSize(batch)
                    .showProgress(!noProgress)
                    .build()
                    .compute(data);
            return report(data, result, vectorMethod, point, readPosition, start);
        }
    }

    /** A BERT encoder folder (model_type bert): the same vector computation over the encoder's activations. */
    private int computeOnEncoder(ContrastiveDataset data, VectorMethod vectorMethod, ReadPosition readPosition,
                                 HookPoint point, boolean gguf) throws Exception {
        try (io.steer4j.djl.model.EncoderModel enc = io.steer4j.djl.model.EncoderModel.load(Path.of(model))) {
            List<Integer> layerList;
            try {
                layerList = CliSupport.parseLayers(layers, enc.numLayers());
            } catch (IllegalArgumentException e) {
                throw usage("--layers: " + e.getMessage());
            }
            if (gguf && layerList.contains(0)) {
                throw usage("layer 0 cannot be written to a GGUF control vector; leave it out of --layers or write "
                        + ".safetensors");
            }
            long start = System.nanoTime();
            SteeringVectorResult result = SteeringVectorComputer.builder(enc).layers(layerList).method(vectorMethod)
                    .readPosition(readPosition).hookPoint(point).batchSize(batch).build().compute(data);
            return report(data, result, vectorMethod, point, readPosition, start);
        }
    }

    private int report(ContrastiveDataset data, SteeringVectorResult result, VectorMethod vectorMethod,
                       HookPoint point, ReadPosition readPosition, long start) throws Exception {
        SteeringVector v = result.vector();
        PrintWriter o = out();
        o.printf(Locale.ROOT, "%s: %d pairs, %s at %s, read %s, %.1f s%n", data.name(), data.size(),
                vectorMethod.id(), point.id(), readPosition.id(), (System.nanoTime() - start) / 1e9);
        o.println("layer  pair-acc        norm");
        for (int l : v.layers()) {
            o.printf(Locale.ROOT, "%5d  %8.3f  %10.4f%n", l, result.pairAccuracy(l), v.norm(l));
        }
        VectorFiles.write(v, out);
        o.println("saved " + out);
        return Steer4jCli.EXIT_OK;
    }

    private ContrastiveDataset loadDataset(int maxTextChars) throws Exception {
        if (dataset.startsWith("builtin:")) {
            String name = dataset.substring("builtin:".length());
            if (!ExampleDatasets.exists(name)) {
                throw usage("no shipped dataset '" + name + "'; shipped: " + ExampleDatasets.PAIR_DATASETS);
            }
            Path dir = Files.createTempDirectory("steer4j-dataset");
            Path file = ExampleDatasets.copyTo(name, dir);
            try {
                return ContrastiveDatasets.load(file, positiveKey, maxTextChars);
            } finally {
                Files.deleteIfExists(file);
                Files.deleteIfExists(dir);
            }
        }
        Path file = requireFile(Path.of(dataset), "dataset file");
        return ContrastiveDatasets.load(file, positiveKey, maxTextChars);
    }
}
