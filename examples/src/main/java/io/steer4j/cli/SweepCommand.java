package io.steer4j.cli;

import io.steer4j.core.dataset.ContrastiveDataset;
import io.steer4j.core.dataset.ContrastiveDatasets;
import io.steer4j.core.dataset.MultipleChoiceItem;
import io.steer4j.core.plan.TokenScope;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.djl.eval.ContinuationItem;
import io.steer4j.djl.eval.IntendedDirection;
import io.steer4j.djl.eval.PerplexityBound;
import io.steer4j.djl.eval.Recommendation;
import io.steer4j.djl.eval.SweepResult;
import io.steer4j.djl.eval.SweepRunner;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.steering.SteeringVectorComputer;
import io.steer4j.examples.ExampleDatasets;
import io.steer4j.examples.SteeringDefaults;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code steer4j sweep}: runs a {@link SweepRunner} over layers × strengths, writes {@code sweep.csv},
 * {@code sweep.json}, {@code heatmap.png} and {@code lines.png} into {@code --out}, and prints the table and the
 * recommended (layer, strength).
 */
@Command(name = "sweep", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Sweep a steering vector over layers x strengths: behaviour effect (steered minus unsteered), "
                + "perplexity of neutral texts and KL(unsteered || steered) of the next-token distribution per cell.",
                "Writes sweep.csv, sweep.json, heatmap.png (effect, layer x strength) and lines.png (effect, "
                        + "perplexity and KL against strength) and recommends the cell with the largest effect "
                        + "whose perplexity stays within the bound."},
        footer = {"", "--eval: a JSON array of {\"prompt\",\"positive\",\"negative\"} (continuations start with a "
                + "space); effect = mean logP(positive) - logP(negative).",
                "--ab: A/B items {\"question\",\"answer_matching_behavior\":\"(A)\",\"answer_not_matching_behavior\":"
                        + "\"(B)\"} (.jsonl or .json); effect = mean P(matching letter).",
                "Shipped files: builtin:sentiment.json and builtin:stories-sentiment.json (pairs), "
                        + "builtin:formality.json and builtin:helpfulness.json (pairs), "
                        + "builtin:sentiment-eval.json and builtin:stories-sentiment-eval.json (--eval), "
                        + "builtin:ab-sycophancy.jsonl (--ab), builtin:neutral.txt and builtin:stories-neutral.txt "
                        + "(--neutral), builtin:conditional-prompts.json.",
                "", "Example:",
                "  steer4j sweep --model gpt2 --dataset builtin:sentiment.json --layers 3-8 "
                        + "--strengths=-8,-4,0,2,4,8 --eval builtin:sentiment-eval.json --out sweep-out"})
public final class SweepCommand extends BaseCommand {
    @picocli.CommandLine.Mixin
    DeviceOption deviceOption = new DeviceOption();

    @Option(names = "--model", required = true, paramLabel = "DIR|ID",
            description = "Model folder or Hugging Face id, e.g. gpt2.")
    String model;

    @Option(names = "--vector", paramLabel = "FILE",
            description = "Steering vector (.safetensors, .gguf, .svec, torch.save .pt[@LAYER] or a CAA folder).")
    Path vector;

    @Option(names = "--dataset", paramLabel = "FILE",
            description = "Contrastive pairs to compute the vector from (one pass for all swept layers), "
                    + "or builtin:NAME.")
    String dataset;

    @Option(names = "--layers", paramLabel = "LIST",
            description = "Layers: all, or indices and ranges such as 3,5-7 (default: the vector's layers; all "
                    + "with --dataset).")
    String layers;

    @Option(names = "--strengths", paramLabel = "LIST", defaultValue = "-8,-4,-2,-1,0,1,2,4,8",
            description = "Comma-separated strengths; write --strengths=-4,0,4 when the list starts with a minus "
                    + "(default: ${DEFAULT-VALUE}).")
    String strengths;

    @Option(names = "--eval", paramLabel = "FILE",
            description = "Continuation items (sentiment-eval.json style), or builtin:NAME.")
    String eval;

    @Option(names = "--ab", paramLabel = "FILE", description = "A/B multiple-choice items (.jsonl), or builtin:NAME.")
    String ab;

    @Option(names = "--neutral", paramLabel = "FILE",
            description = "Neutral texts, one per line, for perplexity (default: the shipped texts for the model's "
                    + "family: builtin:stories-neutral.txt for Llama-style models, builtin:neutral.txt otherwise).")
    String neutral;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Folder for the outputs.")
    Path out;

    @Option(names = "--max-ppl-increase", paramLabel = "FRACTION", defaultValue = "0.25",
            description = "Largest relative perplexity rise a recommended cell may have (default: ${DEFAULT-VALUE}"
                    + " = +25%%).")
    double maxPplIncrease;

    @Option(names = "--direction", paramLabel = "DIR", defaultValue = "increase",
            description = "increase (towards the positive / matching answer) or decrease (default: "
                    + "${DEFAULT-VALUE}).")
    String direction;

    @Option(names = "--scope", paramLabel = "SCOPE", defaultValue = "all",
            description = "Tokens to steer: all, prompt, generated or from:N (default: ${DEFAULT-VALUE}).")
    String scope;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "8",
            description = "Sequences per forward pass (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--no-progress", description = "Do not draw progress bars.")
    boolean noProgress;

    @Option(names = "--fill-mask-eval", paramLabel = "FILE", description = "BERT encoders: JSON array of "
            + "{\"prompt\": \"...[MASK]...\", \"positive\": [words], \"negative\": [words]}; effect = mean log-odds of "
            + "the positive against the negative words at the mask, side effect = KL(unsteered || steered) there.")
    Path fillMaskEval;

    @Option(names = "--embed-eval", paramLabel = "FILE", description = "BERT encoders: JSON object {\"texts\": [...],"
            + " \"positive\": [...], \"negative\": [...]}; effect = mean cos(e, positive pole) - cos(e, negative pole)"
            + " of the steered texts, side effect = drift 1 - cos(steered, unsteered).")
    Path embedEval;

    @Override
    protected int run() throws Exception {
        if ((vector == null) == (dataset == null)) {
            throw usage("pass exactly one of --vector FILE or --dataset FILE");
        }
        if (java.nio.file.Files.isDirectory(Path.of(model))
                && io.steer4j.djl.model.EncoderModel.isEncoder(Path.of(model))) {
            return runOnEncoder();
        }
        if (fillMaskEval != null || embedEval != null) {
            throw usage("--fill-mask-eval and --embed-eval are for BERT encoder folders; " + model + " is not one");
        }
        if ((eval == null) == (ab == null)) {
            throw usage("pass exactly one of --eval FILE (continuations) or --ab FILE (A/B items)");
        }
        if (batch < 1) {
            throw usage("--batch must be >= 1, got " + batch);
        }
        requireWritableFolder(out, "--out");
        List<Double> strengthList = parseStrengths(strengths);
        PerplexityBound bound;
        IntendedDirection dir;
        TokenScope tokenScope;
        try {
            bound = PerplexityBound.relative(maxPplIncrease);
            dir = IntendedDirection.parse(direction);
            tokenScope = TokenScope.parse(scope.strip());
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        SteeringVector v = vector == null ? null : readVector(-1);
        ContrastiveDataset pairs = dataset == null ? null : loadPairs(dataset);
        List<ContinuationItem> items = eval == null ? null : withFile(eval, "eval file", ContinuationItem::readJson);
        List<MultipleChoiceItem> abItems = ab == null ? null
                : withFile(ab, "A/B file", f -> ContrastiveDatasets.loadMultipleChoice(f).items());

        try (LanguageModel lm = CliSupport.loadModel(model, deviceOption)) {
            String neutralArg = neutral;
            if (neutralArg == null) {
                // GPT-2's web-text lines would measure a TinyStories model's perplexity on text it never saw
                // (stories260k: 31.8 instead of 5.74), so the default follows the model's family.
                neutralArg = "builtin:" + SteeringDefaults.forModel(lm).neutralTexts();
                out().println("Neutral texts for perplexity: " + neutralArg
                        + " (the default for this model family; --neutral FILE to change)");
            }
            List<String> neutralTexts = loadNeutral(neutralArg, SteeringVectorComputer.maxTextChars(lm));
            SweepRunner.Builder b = SweepRunner.builder(lm).strengths(strengthList).neutralTexts(neutralTexts)
                    .perplexityBound(bound).direction(dir).scope(tokenScope).batchSize(batch)
                    .showProgress(!noProgress);
            if (layers != null) {
                try {
                    b.layers(CliSupport.parseLayers(layers, lm.numLayers()));
                } catch (IllegalArgumentException e) {
                    throw usage("--layers: " + e.getMessage());
                }
            }
            if (v != null) {
                b.vector(v);
            } else {
                b.dataset(pairs);
            }
            if (items != null) {
                b.continuationItems(items);
            } else {
                b.multipleChoiceItems(abItems);
            }
            SweepRunner runner;
            try {
                runner = b.build();
            } catch (IllegalArgumentException e) {
                throw usage(e.getMessage());
            }
            long start = System.nanoTime();
            SweepResult result = runner.run();
            Files.createDirectories(out);
            result.writeCsv(out.resolve("sweep.csv"));
            result.writeJson(out.resolve("sweep.json"));
            result.writeHeatmap(out.resolve("heatmap.png"));
            boolean lines = result.writeLinePlots(out.resolve("lines.png"));

            PrintWriter o = out();
            o.print(result.toTable());
            Recommendation rec = result.recommendation();
            o.println();
            o.println(rec.isPresent()
                    ? String.format(Locale.ROOT, "recommended: layer %d, strength %s", rec.layer(),
                    BigDecimal.valueOf(rec.strength()).stripTrailingZeros().toPlainString())
                    : "recommended: none");
            o.println("rule: " + rec.rule());
            if (!lines) {
                o.println("warning: lines.png not written: the strengths or scores are too extreme to plot"
                        + " (see sweep.csv)");
            }
            o.printf(Locale.ROOT, "%d cells in %.1f s; wrote sweep.csv, sweep.json, heatmap.png%s to %s%n",
                    result.cells().size(), (System.nanoTime() - start) / 1e9, lines ? ", lines.png" : "", out);
            o.flush();
            return Steer4jCli.EXIT_OK;
        }
    }

    /** The encoder sweep: a fill-mask or embedding effect per (layer, strength); writes sweep.csv. */
    private int runOnEncoder() throws Exception {
        if ((fillMaskEval == null) == (embedEval == null)) {
            throw usage("on a BERT encoder pass exactly one of --fill-mask-eval FILE or --embed-eval FILE");
        }
        if (eval != null || ab != null) {
            throw usage("--eval and --ab score decoder continuations; on a BERT encoder use --fill-mask-eval or "
                    + "--embed-eval");
        }
        List<Double> strengthList = parseStrengths(strengths);
        TokenScope tokenScope;
        try {
            tokenScope = TokenScope.parse(scope.strip());
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        try (io.steer4j.djl.model.EncoderModel enc = io.steer4j.djl.model.EncoderModel.load(Path.of(model))) {
            List<Integer> layerList;
            try {
                layerList = CliSupport.parseLayers(layers == null ? "all" : layers, enc.numLayers());
            } catch (IllegalArgumentException e) {
                throw usage("--layers: " + e.getMessage());
            }
            SteeringVector v = vector != null ? readVector(enc.numLayers())
                    : io.steer4j.djl.steering.SteeringVectorComputer.builder(enc).layers(layerList)
                    .readPosition(io.steer4j.djl.steering.ReadPosition.mean()).batchSize(batch).build()
                    .compute(loadPairs(dataset)).vector();
            for (int l : layerList) {
                if (!v.hasLayer(l)) {
                    throw usage("the vector has no layer " + l + "; it has layers " + v.layers());
                }
            }
            if (v.hiddenSize() != enc.hiddenSize()) {
                throw usage("the vector has hidden size " + v.hiddenSize() + " but the model has " + enc.hiddenSize());
            }
            io.steer4j.djl.steering.SteeredEncoder steered = io.steer4j.djl.steering.SteeredEncoder.of(enc)
                    .withBatchSize(Math.max(batch, 1));
            long start = System.nanoTime();
            List<io.steer4j.djl.eval.EncoderSweep.Cell> cells;
            String side;
            if (fillMaskEval != null) {
                requireFile(fillMaskEval, "fill-mask eval file");
                List<io.steer4j.djl.eval.EncoderSweep.FillMaskItem> items;
                try {
                    items = io.steer4j.djl.eval.EncoderSweep.FillMaskItem.readJson(fillMaskEval);
                } catch (IllegalArgumentException e) {
                    throw usage(e.getMessage());
                }
                cells = io.steer4j.djl.eval.EncoderSweep.fillMask(steered, v, layerList, strengthList, items,
                        tokenScope);
                side = "kl";
            } else {
                requireFile(embedEval, "embedding eval file");
                com.fasterxml.jackson.databind.JsonNode n = new com.fasterxml.jackson.databind.ObjectMapper()
                        .readTree(embedEval.toFile());
                List<List<String>> lists = new ArrayList<>();
                for (String key : List.of("texts", "positive", "negative")) {
                    List<String> l = new ArrayList<>();
                    n.path(key).forEach(x -> l.add(x.asText()));
                    if (l.isEmpty()) {
                        throw usage(embedEval + ": \"" + key + "\" must be a non-empty array of texts");
                    }
                    lists.add(l);
                }
                cells = io.steer4j.djl.eval.EncoderSweep.embedding(steered, v, layerList, strengthList, lists.get(0),
                        lists.get(1), lists.get(2), tokenScope);
                side = "drift";
            }
            java.nio.file.Files.createDirectories(out);
            java.nio.file.Files.writeString(out.resolve("sweep.csv"), io.steer4j.djl.eval.EncoderSweep.csv(cells, side));
            PrintWriter o = out();
            o.print(io.steer4j.djl.eval.EncoderSweep.table(cells, side));
            o.printf(Locale.ROOT, "%d cells in %.1f s; wrote sweep.csv to %s%n", cells.size(),
                    (System.nanoTime() - start) / 1e9, out);
            o.flush();
            return Steer4jCli.EXIT_OK;
        }
    }

    /** Parses {@code -8,-4,0,1.5}: finite numbers, at least one. */
    private List<Double> parseStrengths(String spec) {
        List<Double> list = new ArrayList<>();
        for (String part : spec.split(",")) {
            String p = part.strip();
            if (p.isEmpty()) {
                continue;
            }
            double d;
            try {
                d = Double.parseDouble(p);
            } catch (NumberFormatException e) {
                throw usage("--strengths: '" + p + "' is not a number");
            }
            if (!Double.isFinite(d)) {
                throw usage("--strengths: strength must be a finite number, got '" + p + "'");
            }
            list.add(d);
        }
        if (list.isEmpty()) {
            throw usage("--strengths: no strengths given; pass e.g. --strengths=-4,0,1,2,4");
        }
        return list;
    }

    /** Reads a file argument that may be {@code builtin:NAME}. */
    private interface Reader<T> {
        T read(Path file) throws IOException;
    }

    private <T> T withFile(String arg, String what, Reader<T> reader) throws IOException {
        if (!arg.startsWith("builtin:")) {
            return reader.read(requireFile(Path.of(arg), what));
        }
        String name = arg.substring("builtin:".length());
        if (!ExampleDatasets.exists(name)) {
            throw usage("no shipped file '" + name + "' for the " + what);
        }
        Path dir = Files.createTempDirectory("steer4j-sweep");
        Path file = ExampleDatasets.copyTo(name, dir);
        try {
            return reader.read(file);
        } finally {
            Files.deleteIfExists(file);
            Files.deleteIfExists(dir);
        }
    }

    private ContrastiveDataset loadPairs(String arg) throws IOException {
        return withFile(arg, "dataset file", ContrastiveDatasets::load);
    }

    /** The --vector file in any format steer4j reads; {@code modelLayers} maps layers counted from the end (-1: unknown). */
    private SteeringVector readVector(int modelLayers) throws IOException {
        VectorArgument a = VectorArgument.parse(vector);
        if (!a.isFolder()) {
            requireFile(a.file(), "vector file");
        }
        return a.read(modelLayers < 0 ? java.util.OptionalInt.empty() : java.util.OptionalInt.of(modelLayers));
    }

    /** The non-blank lines of the neutral file, each refused by length before anything is tokenized. */
    private List<String> loadNeutral(String arg, int maxLineChars) throws IOException {
        List<String> lines = withFile(arg, "neutral file", f -> Files.readAllLines(f, StandardCharsets.UTF_8));
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i);
            if (l.length() > maxLineChars) {
                throw usage("the neutral file " + arg + ", line " + (i + 1) + ": " + l.length()
                        + " characters, more than the " + maxLineChars + " that can fit the model's context"
                        + " (refused before tokenizing)");
            }
            if (!l.isBlank()) {
                texts.add(l.strip());
            }
        }
        if (texts.isEmpty()) {
            throw usage("the neutral file " + arg + " has no text lines");
        }
        return texts;
    }
}
