package io.steer4j.examples;

import io.steer4j.djl.eval.ContinuationItem;
import io.steer4j.djl.eval.SweepResult;
import io.steer4j.djl.eval.SweepRunner;
import io.steer4j.djl.model.LanguageModel;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;

/**
 * README use case "layer sweep": which layer and strength move sentiment most without wrecking fluency? Computes
 * a sentiment vector per layer from the shipped pairs, scores the shipped evaluation items at every
 * (layer, strength), measures perplexity of neutral text and KL against the plain model, and writes a table, a
 * heat map and line plots, with the recommended cell and the rule that chose it.
 *
 * <pre>
 * java -cp steer4j.jar io.steer4j.examples.LayerSweep [model] [outDir]
 * </pre>
 */
public final class LayerSweep {
    private LayerSweep() {
    }

    /**
     * Runs a sweep over every {@code layerStep}-th layer and {@code strengths}, on the first {@code items} eval
     * items and {@code neutral} neutral lines, writing sweep.csv, heatmap.png and lines.png to {@code out}.
     */
    public static SweepResult run(LanguageModel model, Path out, int layerStep, double[] strengths, int items,
                                  int neutral) throws IOException {
        List<Integer> layers = IntStream.range(0, model.numLayers()).filter(l -> l % layerStep == 0).boxed().toList();
        SteeringDefaults files = SteeringDefaults.forModel(model);   // GPT-2's or the Llama-style datasets
        List<ContinuationItem> eval = ContinuationItem.readJson(ExampleDatasets.copyTo(files.evalItems(), out))
                .subList(0, items);
        SweepResult r = SweepRunner.builder(model)
                .dataset(Examples.fitToContext(model, ExampleDatasets.load(files.dataset())))
                .layers(layers)
                .strengths(strengths)
                .continuationItems(eval)
                .neutralTexts(ExampleDatasets.lines(files.neutralTexts()).subList(0, neutral))
                .build()
                .run();
        r.writeCsv(out.resolve("sweep.csv"));
        r.writeHeatmap(out.resolve("heatmap.png"));
        r.writeLinePlots(out.resolve("lines.png"));
        return r;
    }

    /** Runs the example: {@code [model] [outDir]}; without {@code outDir} it writes into a new temporary folder. */
    public static void main(String[] args) throws IOException {
        Path out = Examples.outputPath(args, 1, "sweep-out");
        try (LanguageModel model = LanguageModel.load(Examples.modelRef(args))) {
            SweepResult r = run(model, out, 2, new double[] {-8, -4, 0, 2, 4, 8}, 12, 20);
            System.out.println(r.toTable());
            System.out.println(r.recommendation());
            System.out.println("wrote " + out.toAbsolutePath().resolve("sweep.csv") + ", heatmap.png and lines.png");
        }
    }
}
