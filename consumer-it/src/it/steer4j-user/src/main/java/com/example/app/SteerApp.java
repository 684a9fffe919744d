package com.example.app;

import io.steer4j.core.dataset.ContrastiveDataset;
import io.steer4j.core.dataset.ContrastivePair;
import io.steer4j.core.format.vectorfile.VectorFiles;
import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.djl.generation.GenerationConfig;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.steering.SteeredModel;
import io.steer4j.djl.steering.SteeringVectorComputer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * A user's program: load, compute, save, steer, score, with nothing on the classpath but what steering-djl brings.
 * Exits non-zero (failing the consumer build test) when a check fails.
 */
public final class SteerApp {
    /** Classes that must not reach a library user's runtime classpath. */
    private static final List<String> MUST_BE_ABSENT = List.of(
            "org.junit.jupiter.api.Test", "org.junit.Test", "org.apache.pdfbox.pdmodel.PDDocument",
            "org.knowm.xchart.XYChart", "picocli.CommandLine", "org.slf4j.simple.SimpleLogger",
            // serving is opt-in (steering-server, steering-langchain4j): a library user gets neither
            "org.eclipse.jetty.server.Server", "dev.langchain4j.model.chat.ChatModel");

    public static void main(String[] args) throws Exception {
        for (String name : MUST_BE_ABSENT) {
            if (isLoadable(name)) {
                fail(name + " is on a steering-djl user's runtime classpath: a leaked dependency");
            }
        }
        Path model = Path.of(args[0]).resolve("stories260k");
        Path out = Files.createDirectories(Path.of(args[1]));
        if (!Files.isRegularFile(model.resolve("config.json"))) {
            // the build and dependency checks above still ran; only the model half needs the checkpoint
            System.out.println("SKIPPED the model half of the consumer test: no checkpoint at " + model
                    + " (set STEER4J_MODELS to the folder holding stories260k)");
            return;
        }
        ContrastiveDataset pairs = new ContrastiveDataset("mood", List.of(
                new ContrastivePair("Tim was very happy. He smiled and laughed.", "Tim was very sad. He cried and frowned."),
                new ContrastivePair("The sun was warm and the day was fun.", "The rain was cold and the day was bad."),
                new ContrastivePair("Lily loved her new toy. She was glad.", "Lily lost her new toy. She was upset.")));
        try (LanguageModel lm = LanguageModel.load(model)) {
            SteeringVector happy = SteeringVectorComputer.builder(lm).layers(2).build().compute(pairs).vector();
            Path file = out.resolve("happy.safetensors");
            VectorFiles.write(happy, file);
            SteeringVector back = VectorFiles.read(file);
            if (!Arrays.equals(back.direction(2), happy.direction(2))) {
                fail("the vector read back from " + file + " differs from the one written");
            }
            SteeringPlan plan = SteeringPlan.of(back, 8.0);
            try (SteeredModel steered = SteeredModel.of(lm, plan)) {
                GenerationConfig greedy = GenerationConfig.greedy(12);
                String plain = steered.generate("Once upon a time", greedy, SteeringPlan.NONE).text();
                String again = steered.generate("Once upon a time", greedy, SteeringPlan.NONE).text();
                String steeredText = steered.generate("Once upon a time", greedy).text();
                if (!plain.equals(again)) {
                    fail("two unsteered greedy generations differ: '" + plain + "' vs '" + again + "'");
                }
                double shift = steered.continuationLogProb("Tim was", " happy", plan)
                        - steered.continuationLogProb("Tim was", " happy", SteeringPlan.NONE);
                if (!Double.isFinite(shift) || shift == 0) {
                    fail("steering did not change the score of ' happy' (shift " + shift + ")");
                }
                System.out.println("unsteered: " + plain);
                System.out.println("steered:   " + steeredText);
                System.out.printf("log P(' happy' | 'Tim was') shift under steering: %+.4f%n", shift);
            }
        }
        System.out.println("CONSUMER OK");
    }

    private static boolean isLoadable(String className) {
        try {
            Class.forName(className, false, SteerApp.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    private static void fail(String message) {
        System.err.println("CONSUMER FAILED: " + message);
        System.exit(1);
    }
}
