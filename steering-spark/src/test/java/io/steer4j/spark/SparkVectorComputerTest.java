package io.steer4j.spark;

import io.steer4j.core.dataset.ContrastiveDataset;
import io.steer4j.core.dataset.ContrastivePair;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.core.vector.VectorMethod;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.steering.SteeringVectorComputer;
import org.apache.spark.TaskContext;
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
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SparkVectorComputerTest {
    /** Measured: max |spark - single machine| over all components was below 1e-6 on these inputs (see the report). */
    static final double TOLERANCE = 1e-5;
    private static final int[] LAYERS = {0, 1, 2};
    private static final StructType SCHEMA = new StructType()
            .add("id", DataTypes.StringType)
            .add("positive", DataTypes.StringType)
            .add("negative", DataTypes.StringType);
    /** Attempts that the injected failure has broken, counted in this JVM (local mode runs tasks here). */
    static final AtomicInteger INJECTED_FAILURES = new AtomicInteger();

    private static SparkSession spark;
    private static LanguageModel model;
    private static ContrastiveDataset pairs;

    @BeforeAll
    static void start() {
        spark = LocalSpark.session();
        model = LanguageModel.load(LocalSpark.tinyGpt2());
        String[][] texts = {
                {"I love this wonderful day", "I hate this awful day"},
                {"great", "terrible and very bad indeed"},
                {"what a happy and bright morning it is", "what a sad morning"},
                {"the food was delicious", "the food was disgusting"},
                {"a kind and warm smile", "a cold and cruel stare"},
                {"we won the match", "we lost the match again"},
                {"the garden is full of flowers", "the garden is dead"},
                {"thank you so much", "go away"},
                {"she laughed with joy", "she cried in pain"},
                {"a perfect holiday", "a ruined holiday"},
                {"fresh bread and sunshine", "stale bread and rain"},
                {"best friends forever", "enemies for life"}};
        List<ContrastivePair> list = new ArrayList<>();
        for (String[] t : texts) {
            list.add(new ContrastivePair(t[0], t[1]));
        }
        pairs = new ContrastiveDataset("sentiment-mini", list);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static Dataset<Row> frame(ContrastiveDataset d) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < d.size(); i++) {
            rows.add(RowFactory.create("p" + i, d.pairs().get(i).positive(), d.pairs().get(i).negative()));
        }
        return spark.createDataFrame(JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(rows, 3),
                SCHEMA);
    }

    private static final java.util.Map<VectorMethod, SteeringVector> SINGLE = new java.util.EnumMap<>(VectorMethod.class);

    private static SteeringVector singleMachine(VectorMethod method) {
        return SINGLE.computeIfAbsent(method, m -> SteeringVectorComputer.builder(model).layers(LAYERS).method(m).batchSize(2).build()
                .compute(pairs).vector());
    }

    static double maxDifference(SteeringVector expected, SteeringVector actual) {
        assertEquals(expected.layers(), actual.layers());
        double max = 0;
        for (int l : expected.layers()) {
            float[] a = expected.direction(l);
            float[] b = actual.direction(l);
            assertEquals(a.length, b.length);
            for (int j = 0; j < a.length; j++) {
                max = Math.max(max, Math.abs(a[j] - b[j]));
            }
        }
        return max;
    }

    private SparkVectorComputer.Builder computer(VectorMethod method) {
        return SparkVectorComputer.builder(LocalSpark.tinyGpt2().toString()).layers(LAYERS).method(method)
                .batchSize(2).idColumn("id");
    }

    @Test
    void meanDifferenceOverPartitionsEqualsTheSingleMachineComputer() {
        SteeringVector spread = computer(VectorMethod.MEAN_DIFFERENCE).build().compute(frame(pairs));
        double diff = maxDifference(singleMachine(VectorMethod.MEAN_DIFFERENCE), spread);
        System.out.println("mean_difference tiny gpt2, max |spark - single| = " + diff);
        assertTrue(diff <= TOLERANCE, "max difference " + diff);
        assertEquals(12, spread.metadata().datasetSize());
        assertEquals("mean_difference", spread.metadata().method());
    }

    @Test
    void pcaDiffOverPartitionsEqualsTheSingleMachineComputerIncludingItsSign() {
        SteeringVector spread = computer(VectorMethod.PCA_DIFF).build().compute(frame(pairs));
        double diff = maxDifference(singleMachine(VectorMethod.PCA_DIFF), spread);
        System.out.println("pca_diff tiny gpt2, max |spark - single| = " + diff);
        assertTrue(diff <= TOLERANCE, "max difference " + diff);
    }

    @Test
    void aDatasetFileReadByTheCoreLoaderGivesTheSingleMachineVector(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        Path file = dir.resolve("pairs.jsonl");
        StringBuilder sb = new StringBuilder();
        for (ContrastivePair p : pairs.pairs()) {
            sb.append("{\"positive\": \"").append(p.positive()).append("\", \"negative\": \"")
                    .append(p.negative()).append("\"}\n");
        }
        Files.writeString(file, sb.toString());
        SteeringVector spread = computer(VectorMethod.PCA_CENTER).build().compute(spark, file, 4);
        double diff = maxDifference(singleMachine(VectorMethod.PCA_CENTER), spread);
        assertTrue(diff <= TOLERANCE, "max difference " + diff);
    }

    @Test
    void aTaskThatFailsOnItsFirstAttemptIsRetriedWithoutDoubleCounting() {
        int before = INJECTED_FAILURES.get();
        // Row p? that lands last in partition 1 throws on the task's first attempt, after the partition's earlier
        // batches were already captured and counted into that attempt's statistics.
        Dataset<Row> flaky = spark.createDataFrame(frame(pairs).javaRDD().mapPartitionsWithIndex((idx, it) -> {
            List<Row> rows = new ArrayList<>();
            it.forEachRemaining(rows::add);
            List<Row> out = new ArrayList<>();
            for (int i = 0; i < rows.size(); i++) {
                boolean last = i == rows.size() - 1;
                out.add(rows.get(i));
                if (idx == 1 && last && TaskContext.get().attemptNumber() == 0) {
                    INJECTED_FAILURES.incrementAndGet();
                    return new FailingAfter<>(out, "injected failure on the first attempt");
                }
            }
            return out.iterator();
        }, true), SCHEMA);
        SteeringVector spread = computer(VectorMethod.MEAN_DIFFERENCE).build().compute(flaky);
        assertEquals(before + 1, INJECTED_FAILURES.get(), "the injected failure did not fire");
        assertEquals(12, spread.metadata().datasetSize(), "pairs counted once each");
        double diff = maxDifference(singleMachine(VectorMethod.MEAN_DIFFERENCE), spread);
        assertTrue(diff <= TOLERANCE, "max difference " + diff);
    }

    @Test
    void aModelThatCannotBeLoadedFailsTheJobWithTheExecutorsMessage(@org.junit.jupiter.api.io.TempDir Path dir) {
        String missing = dir.resolve("no-such-model").toString();
        Exception e = assertThrows(Exception.class, () -> SparkVectorComputer.builder(missing).layers(0).build()
                .compute(frame(pairs)));
        String msg = String.valueOf(e.getMessage());
        assertTrue(msg.contains("could not load model '" + missing + "'"), msg);
    }

    @Test
    void aRowWithAMissingTextFailsTheJobNamingTheRow() {
        List<Row> rows = new ArrayList<>(frame(pairs).collectAsList());
        rows.add(RowFactory.create("broken-7", "a fine text", null));
        Dataset<Row> bad = spark.createDataFrame(JavaSparkContext.fromSparkContext(spark.sparkContext())
                .parallelize(rows, 2), SCHEMA);
        Exception e = assertThrows(Exception.class, () -> computer(VectorMethod.MEAN_DIFFERENCE).build().compute(bad));
        String msg = String.valueOf(e.getMessage());
        assertTrue(msg.contains("row broken-7: the negative text is missing"), msg);
    }

    @Test
    void aMissingColumnIsRefusedBeforeAnyJobRuns() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> computer(VectorMethod.MEAN_DIFFERENCE).textColumns("pos", "negative").build()
                        .compute(frame(pairs)));
        assertTrue(e.getMessage().contains("no column 'pos'"), e.getMessage());
    }
}
