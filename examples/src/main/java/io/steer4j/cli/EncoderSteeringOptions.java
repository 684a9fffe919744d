package io.steer4j.cli;

import io.steer4j.core.format.vectorfile.VectorFiles;
import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.core.plan.TokenScope;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.djl.hub.ModelResolver;
import io.steer4j.djl.model.EncoderModel;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The options the encoder commands ({@code embed}, {@code fill-mask}) share: the model, and steering vectors with
 * their strength, layers and token scope, turned into one {@link SteeringPlan}.
 */
final class EncoderSteeringOptions {
    @Option(names = "--model", required = true, paramLabel = "DIR|ID",
            description = "BERT model folder (config.json with model_type bert, model.safetensors, tokenizer.json) "
                    + "or Hugging Face id.")
    String model;

    @Option(names = "--vector", paramLabel = "FILE[:STRENGTH]",
            description = "Steering vector file (.safetensors or .gguf), optionally with its own strength; repeat "
                    + "to add several.")
    List<String> vectors = new ArrayList<>();

    @Option(names = "--strength", paramLabel = "S", defaultValue = "1.0",
            description = "Strength of vectors given without one (default: ${DEFAULT-VALUE}).")
    double strength;

    @Option(names = {"--layer", "--layers"}, paramLabel = "LIST",
            description = "Apply the vectors only at these layers, e.g. 3 or 2-4 (default: every layer each "
                    + "vector has).")
    String layers;

    @Option(names = "--scope", paramLabel = "SCOPE", defaultValue = "all",
            description = "Which tokens to steer: all, from:N or ranges:A-B,C- (position 0 is [CLS]; default: "
                    + "${DEFAULT-VALUE}).")
    String scope;

    /** Loads the encoder named by {@code --model}. */
    EncoderModel load() {
        Path dir = java.nio.file.Files.isDirectory(Path.of(model)) ? Path.of(model)
                : ModelResolver.builder().build().resolve(model);
        return EncoderModel.load(dir);
    }

    /** The plan of the vector options for {@code m}; usage errors through {@code cmd}. */
    SteeringPlan plan(EncoderModel m, BaseCommand cmd) throws java.io.IOException {
        if (!Double.isFinite(strength)) {
            throw cmd.usage("--strength must be a finite number, got " + strength);
        }
        if (layers != null && vectors.isEmpty()) {
            throw cmd.usage("--layer applies to vectors; give at least one --vector");
        }
        TokenScope tokenScope;
        List<Integer> only = null;
        try {
            tokenScope = TokenScope.parse(scope);
            if (layers != null) {
                only = CliSupport.parseLayers(layers, m.numLayers());
            }
        } catch (IllegalArgumentException e) {
            throw cmd.usage(e.getMessage());
        }
        SteeringPlan plan = SteeringPlan.NONE;
        for (String arg : vectors) {
            CliSupport.VectorSpec s;
            try {
                s = CliSupport.VectorSpec.parse(arg, strength);
            } catch (IllegalArgumentException e) {
                throw cmd.usage(e.getMessage());
            }
            cmd.requireFile(s.file(), "vector file");
            SteeringVector v = VectorFiles.read(s.file());
            if (v.hiddenSize() != m.hiddenSize()) {
                throw cmd.usage("vector " + s.file() + " has hidden size " + v.hiddenSize() + " but model " + model
                        + " has " + m.hiddenSize());
            }
            List<Integer> use = new ArrayList<>(v.layers());
            if (only != null) {
                use.retainAll(only);
                if (use.isEmpty()) {
                    throw cmd.usage("vector " + s.file() + " has none of the layers " + only + "; it has layers "
                            + v.layers());
                }
            }
            for (int l : use) {
                if (l >= m.numLayers()) {
                    throw cmd.usage("vector " + s.file() + " has layer " + l + " but model " + model + " has "
                            + m.numLayers() + " layers (0.." + (m.numLayers() - 1) + "); restrict it with --layer");
                }
            }
            plan = plan.and(SteeringPlan.atLayers(v, s.strength(), use.stream().mapToInt(Integer::intValue)
                    .toArray()).withScope(tokenScope));
        }
        return plan;
    }
}
