package io.steer4j.cli;

import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.djl.model.EncoderModel;
import io.steer4j.djl.steering.MaskPrediction;
import io.steer4j.djl.steering.SteeredEncoder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;

/** {@code steer4j fill-mask}: a BERT masked-LM's predictions for each {@code [MASK]}, optionally steered. */
@Command(name = "fill-mask", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Predict the words at each [MASK] of TEXT with a BERT masked-language model, optionally "
                + "steered by vector files.",
                "For each [MASK] (in order) prints the top K as lines TOKEN<TAB>PROBABILITY; masks are separated by "
                        + "an empty line."},
        footer = {"", "Examples:",
                "  steer4j fill-mask --model bert-base-uncased \"The capital of France is [MASK].\"",
                "  steer4j fill-mask --model bert-base-uncased --vector sentiment.safetensors --strength 4 \\",
                "      --layer 8 \"The movie was [MASK].\""})
public final class FillMaskCommand extends BaseCommand {
    @Mixin
    EncoderSteeringOptions steering = new EncoderSteeringOptions();

    @Option(names = "--top-k", paramLabel = "K", defaultValue = "5",
            description = "Predictions per mask (default: ${DEFAULT-VALUE}).")
    int topK;

    @Parameters(paramLabel = "TEXT", arity = "1..*", description = "Text with at least one [MASK] (several words "
            + "are joined with spaces).")
    List<String> words;

    @Override
    protected int run() throws Exception {
        if (topK < 1) {
            throw usage("--top-k must be positive, got " + topK);
        }
        String text = String.join(" ", words);
        if (!text.contains("[MASK]")) {
            throw usage("the text has no [MASK]");
        }
        try (EncoderModel model = steering.load()) {
            if (!model.hasMaskedLmHead()) {
                throw usage("model " + steering.model + " has no masked-LM head (cls.predictions); fill-mask needs a"
                        + " BertForMaskedLM checkpoint such as bert-base-uncased");
            }
            SteeringPlan plan = steering.plan(model, this);
            List<List<MaskPrediction>> masks = SteeredEncoder.of(model).fillMask(text, topK, plan);
            PrintWriter out = out();
            for (int i = 0; i < masks.size(); i++) {
                if (i > 0) {
                    out.println();
                }
                for (MaskPrediction p : masks.get(i)) {
                    out.println(p.token() + "\t" + String.format(Locale.ROOT, "%.4f", p.probability()));
                }
            }
            out.flush();
        }
        return Steer4jCli.EXIT_OK;
    }
}
