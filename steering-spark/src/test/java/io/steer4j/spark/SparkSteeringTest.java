package io.steer4j.spark;

import io.steer4j.core.dataset.ContrastiveDataset;
import io.steer4j.core.dataset.ContrastivePair;
import io.steer4j.core.format.vectorfile.VectorFiles;
import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.djl.generation.GenerationConfig;
import io.steer4j.djl.generation.GenerationResult;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.steering.SteeredModel;
import io.steer4j.djl.steering.SteeringVectorComputer;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SparkSteeringTest {
    private static final StructType SCHEMA = new StructType()
            .add("id", DataTypes.StringType)
            .add("prompt", DataTypes.StringType)
            .add("continuation", DataTypes.StringType)
            .add("vector", DataTypes.StringType)
            .add("strength", DataTypes.DoubleType)
            .add("layer", DataTypes.IntegerType);
    private static final Object[][] ROWS = {
            {"r0", "the cat sat on", " the mat", null, null, null},
            {"r1", "the cat sat on", " the mat", "happy", 4.0, null},
            {"r2", "today the weather is", " very nice", "happy", -4.0, 1},
            {"r3", "i think that the film", " was good", "happy", 8.0, 2},
            {"r4", "she said the food", " tasted great", null, null, null}};

    private static SparkSession spark;
    private static LanguageModel model;
    private static SteeringVector happy;
    private static Path vectorFile;

    @BeforeAll
    static void start() throws Exception {
        spark = LocalSpark.session();
        model = LanguageModel.load(LocalSpark.tinyGpt2());
        happy = SteeringVectorComputer.builder(model).build().compute(new ContrastiveDataset("happy", List.of(
                new ContrastivePair("I love this wonderful day", "I hate this awful day"),
                new ContrastivePair("what a happy morning", "what a sad morning")))).vector();
        vectorFile = Files.createTempDirectory("steer4j-spark-vec").resolve("happy-tiny.safetensors");
        VectorFiles.write(happy, vectorFile);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static Dataset<Row> frame(Object[][] rows) {
        List<Row> list = new ArrayList<>();
        for (Object[] r : rows) {
            list.add(RowFactory.create(r));
        }
        return spark.createDataFrame(JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(list, 2),
                SCHEMA);
    }

    private static SteeringPlan planOf(Object[] row) {
        if (row[3] == null) {
            return SteeringPlan.NONE;
        }
        return row[5] == null ? SteeringPlan.of(happy, (Double) row[4])
                : SteeringPlan.atLayers(happy, (Double) row[4], (Integer) row[5]);
    }

    private SparkSteering steering() {
        return SparkSteering.builder(LocalSpark.tinyGpt2().toString()).vector("happy", vectorFile).batchSize(2)
                .idColumn("id").build();
    }

    @Test
    void generationGivesEachRowTheSingleMachineTextUnderItsOwnPlan() {
        GenerationConfig greedy = GenerationConfig.builder().maxNewTokens(6).stopAtEos(false).build();
        List<Row> out = steering().generate(frame(ROWS), greedy).collectAsList().stream().sorted(java.util.Comparator.comparing(r -> r.<String>getAs("id"))).toList();
        SteeredModel local = SteeredModel.of(model, SteeringPlan.NONE);
        assertEquals(ROWS.length, out.size());
        for (int i = 0; i < ROWS.length; i++) {
            Row r = out.get(i);
            GenerationResult expected = local.generate((String) ROWS[i][1], greedy, planOf(ROWS[i]));
            assertEquals(ROWS[i][0], r.getAs("id"));
            assertEquals(expected.text(), r.getAs("text"), "row " + ROWS[i][0]);
            assertEquals("length", r.getAs("finish_reason"));
            assertEquals(6, (int) r.getAs("generated_tokens"));
            double lp = local.continuationLogProb((String) ROWS[i][1], expected.text(), planOf(ROWS[i]));
            assertEquals(lp, (double) r.getAs("logprob"), 1e-4, "row " + ROWS[i][0]);
        }
    }

    @Test
    void scoringGivesTheSingleMachineLogProbabilitiesOfEachContinuation() {
        List<Row> out = steering().score(frame(ROWS)).collectAsList().stream().sorted(java.util.Comparator.comparing(r -> r.<String>getAs("id"))).toList();
        SteeredModel local = SteeredModel.of(model, SteeringPlan.NONE);
        for (int i = 0; i < ROWS.length; i++) {
            double[] expected = local.continuationLogProbs((String) ROWS[i][1], (String) ROWS[i][2], planOf(ROWS[i]));
            List<Double> tokens = out.get(i).getList(out.get(i).fieldIndex("token_logprobs"));
            assertEquals(expected.length, tokens.size());
            double sum = 0;
            for (int k = 0; k < expected.length; k++) {
                assertEquals(expected[k], tokens.get(k), 1e-4);
                sum += expected[k];
            }
            assertEquals(sum, (double) out.get(i).getAs("logprob"), 1e-4);
        }
        // steering changes the score: r0 and r1 score the same text, unsteered and steered
        assertTrue(Math.abs((double) out.get(0).getAs("logprob") - (double) out.get(1).getAs("logprob")) > 1e-3);
        // the input columns are carried through
        assertEquals(" was good", out.get(3).getAs("continuation"));
        assertNull(out.get(0).getAs("vector"));
    }

    @Test
    void aVectorFileThatCannotBeReadFailsTheCallOnTheDriverNamingTheVector(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        Path bad = Files.write(dir.resolve("broken.safetensors"), new byte[] {1, 2, 3});
        SparkSteering steering = SparkSteering.builder(LocalSpark.tinyGpt2().toString()).vector("broken", bad).build();
        // read when the DataFrame is defined, before any job: no executor sees a half-read vector
        Exception e = assertThrows(java.io.UncheckedIOException.class,
                () -> steering.generate(frame(ROWS), GenerationConfig.greedy(2)));
        assertTrue(e.getMessage().startsWith("could not read vector 'broken' from " + bad), e.getMessage());
    }

    @Test
    void aRowNamingAnUnknownVectorFailsTheJobNamingTheRow() {
        Object[][] rows = {ROWS[0], {"r9", "hello there", " friend", "sad", 2.0, null}};
        Exception e = assertThrows(Exception.class, () -> steering().score(frame(rows)).collectAsList());
        String msg = String.valueOf(e.getMessage());
        assertTrue(msg.contains("row r9: unknown vector 'sad'"), msg);
    }
}
