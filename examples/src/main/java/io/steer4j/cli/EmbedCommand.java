package io.steer4j.cli;

import io.steer4j.core.eval.CosineSimilarity;
import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.djl.model.EncoderModel;
import io.steer4j.djl.model.SentencePooling;
import io.steer4j.djl.steering.SteeredEncoder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** {@code steer4j embed}: sentence embeddings of a BERT encoder, optionally steered. */
@Command(name = "embed", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Sentence embeddings of a BERT encoder, optionally steered by vector files.",
                "Prints one line per input text: the embedding's values separated by spaces, or with --compare "
                        + "the matrix of cosine similarities between the inputs.",
                "Pooling and normalisation follow the folder's sentence-transformers files (modules.json), else "
                        + "mean pooling; --pooling overrides."},
        footer = {"", "Examples:",
                "  steer4j embed --model all-minilm-l6-v2 \"The cat sat on the mat.\" \"A kitten sat on the rug.\"",
                "  steer4j embed --model all-minilm-l6-v2 --compare --vector positive.safetensors --strength 4 \\",
                "      --layer 3 \"The food was fine.\" \"Great food!\""})
public final class EmbedCommand extends BaseCommand {
    @Mixin
    EncoderSteeringOptions steering = new EncoderSteeringOptions();

    @Option(names = "--compare", description = "Print the cosine similarity matrix of the inputs instead of the "
            + "vectors.")
    boolean compare;

    @Option(names = "--pooling", paramLabel = "MODE", description = "mean, cls or max, L2-normalised with "
            + "--normalize (default: as the model folder declares).")
    String pooling;

    @Option(names = "--normalize", description = "With --pooling: scale embeddings to unit length.")
    boolean normalize;

    @Option(names = "--input", paramLabel = "FILE", description = "Read texts from FILE, one per line, after "
            + "those given as arguments.")
    Path input;

    @Parameters(paramLabel = "TEXT", arity = "0..*", description = "Texts to embed.")
    List<String> texts = new ArrayList<>();

    @Override
    protected int run() throws Exception {
        List<String> all = new ArrayList<>(texts);
        if (input != null) {
            requireFile(input, "input file");
            for (String line : Files.readAllLines(input)) {
                if (!line.isBlank()) {
                    all.add(line);
                }
            }
        }
        if (all.isEmpty()) {
            throw usage("give at least one TEXT or --input FILE");
        }
        if (normalize && pooling == null) {
            throw usage("--normalize goes with --pooling");
        }
        try (EncoderModel model = steering.load()) {
            SteeredEncoder encoder = SteeredEncoder.of(model);
            if (pooling != null) {
                SentencePooling.Mode mode;
                try {
                    mode = SentencePooling.Mode.valueOf(pooling.toUpperCase(Locale.ROOT));
                } catch (IllegalArgumentException e) {
                    throw usage("--pooling must be mean, cls or max, got '" + pooling + "'");
                }
                encoder = encoder.withPooling(new SentencePooling(mode, normalize, model.pooling().maxSeqLength()));
            }
            SteeringPlan plan = steering.plan(model, this);
            float[][] e = encoder.embed(all, plan);
            PrintWriter out = out();
            if (!compare) {
                for (float[] v : e) {
                    StringBuilder line = new StringBuilder();
                    for (int d = 0; d < v.length; d++) {
                        line.append(d == 0 ? "" : " ").append(v[d]);
                    }
                    out.println(line);
                }
            } else {
                double[][] m;
                try {
                    m = CosineSimilarity.matrix(Arrays.asList(e));
                } catch (IllegalArgumentException zeroNorm) { // a zero embedding has no direction to compare
                    throw new IllegalArgumentException("--compare, inputs numbered from 0: " + zeroNorm.getMessage(),
                            zeroNorm);
                }
                for (double[] row : m) {
                    StringBuilder line = new StringBuilder();
                    for (int j = 0; j < row.length; j++) {
                        line.append(j == 0 ? "" : "\t").append(String.format(Locale.ROOT, "%.4f", row[j]));
                    }
                    out.println(line);
                }
            }
            out.flush();
        }
        return Steer4jCli.EXIT_OK;
    }
}
