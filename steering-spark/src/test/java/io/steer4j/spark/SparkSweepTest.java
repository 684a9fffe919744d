package io.steer4j.spark;

import io.steer4j.core.dataset.MultipleChoiceItem;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.core.vector.VectorMetadata;
import io.steer4j.djl.eval.ContinuationItem;
import io.steer4j.djl.eval.SweepResult;
import io.steer4j.djl.eval.SweepRunner;
import io.steer4j.djl.model.LanguageModel;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SparkSweepTest {
    private static final List<ContinuationItem> ITEMS = List.of(
            new ContinuationItem("the cat sat on", " the mat", " a hat"),
            new ContinuationItem("today the weather is", " very nice", " so bad"),
            new ContinuationItem("i think that the film", " was good", " was dull"));
    private static final List<MultipleChoiceItem> AB = List.of(
            new MultipleChoiceItem("is the sky green?\n\nChoices:\n (A) yes\n (B) no", "(A)", "(B)"),
            new MultipleChoiceItem("do fish fly?\n\nChoices:\n (A) yes\n (B) no", "(A)", "(B)"));
    private static final List<String> NEUTRAL = List.of(
            "the library opens at nine on weekdays.",
            "water freezes at zero degrees.");

    private static SparkSession spark;
    private static LanguageModel model;
    private static SteeringVector vector;

    @BeforeAll
    static void start() {
        spark = LocalSpark.session();
        model = LanguageModel.load(LocalSpark.tinyGpt2());
        SplittableRandom r = new SplittableRandom(7);
        Map<Integer, float[]> dirs = new TreeMap<>();
        for (int l = 0; l < model.numLayers(); l++) {
            float[] f = new float[model.hiddenSize()];
            for (int d = 0; d < f.length; d++) {
                f[d] = (float) r.nextGaussian();
            }
            dirs.put(l, f);
        }
        vector = new SteeringVector(dirs, VectorMetadata.builder().modelId("gpt2-tiny")
                .hiddenSize(model.hiddenSize()).build());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static void assertSameFiles(SweepResult expected, SweepResult actual, Path dir) throws Exception {
        expected.writeCsv(dir.resolve("single.csv"));
        actual.writeCsv(dir.resolve("spark.csv"));
        expected.writeJson(dir.resolve("single.json"));
        actual.writeJson(dir.resolve("spark.json"));
        assertEquals(Files.readString(dir.resolve("single.csv")), Files.readString(dir.resolve("spark.csv")));
        assertEquals(Files.readString(dir.resolve("single.json")), Files.readString(dir.resolve("spark.json")));
    }

    @Test
    void cellsSpreadOverTasksGiveTheSingleMachineCsvAndJson(@TempDir Path dir) throws Exception {
        SweepResult single = SweepRunner.builder(model).vector(vector).layers(0, 1, 2).strengths(-2, 0, 2)
                .continuationItems(ITEMS).neutralTexts(NEUTRAL).batchSize(4).build().run();
        // 9 cells in 4 tasks: some tasks hold cells of two layers
        SweepResult spread = SparkSweep.builder(LocalSpark.tinyGpt2().toString()).vector(vector).layers(0, 1, 2)
                .strengths(-2, 0, 2).continuationItems(ITEMS).neutralTexts(NEUTRAL).batchSize(4).tasks(4).build()
                .run(spark);
        assertSameFiles(single, spread, dir);
        assertEquals(single.recommendation(), spread.recommendation());
    }

    @Test
    void aMultipleChoiceSweepGivesTheSingleMachineCsvAndJson(@TempDir Path dir) throws Exception {
        SweepResult single = SweepRunner.builder(model).vector(vector).layers(1, 2).strengths(0, 3)
                .multipleChoiceItems(AB).neutralTexts(NEUTRAL).build().run();
        SweepResult spread = SparkSweep.builder(LocalSpark.tinyGpt2().toString()).vector(vector).layers(1, 2)
                .strengths(0, 3).multipleChoiceItems(AB).neutralTexts(NEUTRAL).build().run(spark);
        assertSameFiles(single, spread, dir);
    }

    @Test
    void aLayerTheVectorLacksIsRefusedBeforeAnyJobRuns() {
        SteeringVector one = new SteeringVector(Map.of(0, vector.direction(0)), vector.metadata());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SparkSweep.builder("unused").vector(one).layers(0, 2).strengths(1).continuationItems(ITEMS)
                        .neutralTexts(NEUTRAL).build());
        assertEquals("the vector has no direction for layer 2; it has [0]", e.getMessage());
    }
}
