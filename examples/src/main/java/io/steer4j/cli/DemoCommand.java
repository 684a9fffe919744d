package io.steer4j.cli;

import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.core.vector.ActivationMatrix;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.djl.generation.CancellationToken;
import io.steer4j.djl.generation.GenerationConfig;
import io.steer4j.djl.generation.GenerationResult;
import io.steer4j.djl.generation.TokenListener;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.steering.SteeredModel;
import io.steer4j.djl.steering.SteeringVectorComputer;
import io.steer4j.djl.steering.SteeringVectorResult;
import io.steer4j.examples.ExampleDatasets;
import io.steer4j.examples.Examples;
import io.steer4j.examples.SteeringDefaults;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code steer4j demo}: the README's first run. Loads a model (GPT-2 by default), computes a sentiment vector
 * from a shipped dataset, and prints unsteered, positively steered and negatively steered greedy completions of a
 * few prompts next to each other. Dataset, prompts, layer and strength are chosen per model family from sweep
 * measurements ({@link SteeringDefaults}): {@code sentiment.json} at the middle layer for GPT-2,
 * {@code stories-sentiment.json} at layer 3 of 5 with strength 2 for stories260k and other Llama-style models.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"See steering work: plain vs sentiment-steered completions (GPT-2 by default).",
                "Computes a sentiment vector from a shipped dataset, then completes a few prompts unsteered, "
                        + "steered towards positive and towards negative sentiment (greedy decoding).",
                "Dataset, prompts, layer and strength are chosen per model family from sweeps: GPT-2 uses "
                        + "sentiment.json (70 pairs) at the middle layer with the automatic strength; Llama-style "
                        + "models (e.g. stories260k) use stories-sentiment.json (50 happy/sad story pairs) at layer "
                        + "floor(0.6 x layers) with strength 2.",
                "The automatic strength makes the added vector --relative-size times the typical residual-stream "
                        + "norm at that layer."})
public final class DemoCommand extends BaseCommand {
    @picocli.CommandLine.Mixin
    DeviceOption deviceOption = new DeviceOption();

    /** The prompts completed for GPT-2 when none are given (other families: {@link SteeringDefaults#prompts()}). */
    public static final List<String> DEFAULT_PROMPTS = SteeringDefaults.GPT2.prompts();

    @Option(names = "--model", paramLabel = "DIR|ID", defaultValue = Examples.DEFAULT_MODEL,
            description = "Model folder or Hugging Face id (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--max-tokens", paramLabel = "N", defaultValue = "30",
            description = "Tokens per completion (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--layer", paramLabel = "L",
            description = "Layer to steer (default: per model family; 6 for GPT-2 small, 3 for stories260k).")
    Integer layer;

    @Option(names = "--strength", paramLabel = "S",
            description = "Multiplier of the sentiment vector; the negative run uses -S (default: per model family; "
                    + "automatic for GPT-2, 2 for Llama-style models).")
    Double strength;

    @Option(names = "--relative-size", paramLabel = "F",
            description = "Use the automatic strength: size of the added vector relative to the typical "
                    + "residual norm (default for GPT-2: 0.6).")
    Double relativeSize;

    @Option(names = "--repetition-penalty", paramLabel = "R", defaultValue = "1.2",
            description = "Repetition penalty of the greedy decoding, 1 = off (default: ${DEFAULT-VALUE}).")
    double repetitionPenalty;

    @Option(names = "--prompt", paramLabel = "TEXT",
            description = "A prompt to complete; repeat for several (default: four prompts suited to the model "
                    + "family).")
    List<String> prompts;

    @Override
    protected int run() throws Exception {
        if (maxTokens < 1) {
            throw usage("--max-tokens must be >= 1, got " + maxTokens);
        }
        if (strength != null && !Double.isFinite(strength)) {
            throw usage("--strength must be a finite number, got " + strength);
        }
        if (relativeSize != null && (!(relativeSize > 0) || !Double.isFinite(relativeSize))) {
            throw usage("--relative-size must be a positive number, got " + relativeSize);
        }
        if (strength != null && relativeSize != null) {
            throw usage("give --strength or --relative-size, not both");
        }
        PrintWriter o = out();
        long t0 = System.nanoTime();
        o.println("Loading " + model + " ...");
        o.flush();
        try (LanguageModel lm = CliSupport.loadModel(model, deviceOption)) {
            SteeringDefaults defaults = SteeringDefaults.forModel(lm);
            List<String> texts = prompts == null || prompts.isEmpty() ? defaults.prompts() : prompts;
            int l = layer == null ? defaults.layer(lm) : layer;
            if (l < 0 || l >= lm.numLayers()) {
                throw usage("--layer " + l + " is out of range: the model has " + lm.numLayers() + " layers (0.."
                        + (lm.numLayers() - 1) + ")");
            }
            o.printf(Locale.ROOT, "%s: %d layers, hidden size %d (%.1f s)%n", lm.modelId(), lm.numLayers(),
                    lm.hiddenSize(), seconds(t0));
            long t1 = System.nanoTime();
            var data = ExampleDatasets.load(defaults.dataset());
            SteeringVectorResult result = SteeringVectorComputer.builder(lm)
                    .layers(l)
                    .build()
                    .compute(data);
            SteeringVector v = result.vector();
            double norm = v.norm(l);
            double residual = typicalNorm(result, l);
            double s;
            Double fixed = strength != null ? strength : relativeSize != null ? null : defaults.strength();
            if (fixed != null) {
                s = fixed;
            } else {
                double relative = relativeSize != null ? relativeSize : defaults.relativeSize();
                if (norm == 0) {
                    throw new IllegalStateException("the sentiment vector at layer " + l + " is zero");
                }
                s = Math.round(10 * relative * residual / norm) / 10.0;
            }
            o.printf(Locale.ROOT, "Sentiment vector from %d pairs at layer %d (%s): pair accuracy %.2f, "
                    + "norm %.2f (%.1f s)%n", data.size(), l, defaults.dataset(), result.pairAccuracy(l), norm,
                    seconds(t1));
            o.printf(Locale.ROOT, "Steering at layer %d with strength +/-%s: added norm %.1f, typical residual "
                    + "norm %.1f%n%n", l, fmt(s), Math.abs(s) * norm, residual);
            o.flush();

            // One batch: every prompt unsteered, +s and -s (each row carries its own plan).
            List<String> rows = new ArrayList<>();
            List<SteeringPlan> plans = new ArrayList<>();
            SteeringPlan plus;
            SteeringPlan minus;
            try {
                plus = SteeringPlan.of(v, s);
                minus = SteeringPlan.of(v, -s);
            } catch (IllegalArgumentException e) { // the strength bound: a usage error, as in generate and sweep
                throw usage("--strength: " + e.getMessage());
            }
            for (String p : texts) {
                for (SteeringPlan plan : List.of(SteeringPlan.NONE, plus, minus)) {
                    rows.add(p);
                    plans.add(plan);
                }
            }
            GenerationConfig greedy = GenerationConfig.builder().maxNewTokens(maxTokens)
                    .repetitionPenalty(repetitionPenalty).build();
            long t2 = System.nanoTime();
            List<GenerationResult> out = SteeredModel.builder(lm).build()
                    .generateBatch(rows, greedy, plans, TokenListener.NONE, CancellationToken.NEVER);
            String[] labels = {"unsteered", "strength " + signed(s), "strength " + signed(-s)};
            int width = 0;
            for (String lab : labels) {
                width = Math.max(width, lab.length());
            }
            for (int i = 0; i < texts.size(); i++) {
                o.println("\"" + texts.get(i) + "\"");
                for (int k = 0; k < 3; k++) {
                    o.printf("  %-" + width + "s | %s%n", labels[k],
                            Examples.oneLine(out.get(3 * i + k).text()).strip());
                }
                o.println();
            }
            o.printf(Locale.ROOT, "Generated %d completions of up to %d tokens in %.1f s (total %.1f s). Try "
                    + "--strength, --layer or --prompt.%n", rows.size(), maxTokens, seconds(t2), seconds(t0));
            o.flush();
            return Steer4jCli.EXIT_OK;
        }
    }

    /** Mean L2 norm of the activations the vector was computed from (positives and negatives). */
    static double typicalNorm(SteeringVectorResult r, int layer) {
        double sum = 0;
        int n = 0;
        for (ActivationMatrix m : List.of(r.positives().get(layer), r.negatives().get(layer))) {
            for (int row = 0; row < m.rows(); row++) {
                double s2 = 0;
                for (int d = 0; d < m.dim(); d++) {
                    double x = m.get(row, d);
                    s2 += x * x;
                }
                sum += Math.sqrt(s2);
                n++;
            }
        }
        return n == 0 ? 0 : sum / n;
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? String.format(Locale.ROOT, "%.0f", Math.abs(d))
                : String.format(Locale.ROOT, "%.1f", Math.abs(d));
    }

    private static String signed(double d) {
        return (d < 0 ? "-" : "+") + fmt(d);
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }
}
