package io.steer4j.spark;

import io.steer4j.core.dataset.ContrastiveDataset;
import io.steer4j.core.dataset.ContrastivePair;
import io.steer4j.core.format.vectorfile.VectorFiles;
import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.core.vector.VectorMethod;
import io.steer4j.djl.generation.GenerationConfig;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.steering.SteeredModel;
import io.steer4j.djl.steering.SteeringVectorComputer;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Spark paths on a pretrained checkpoint: Karpathy's stories260K (Llama, 5 layers x 64). */
class SparkStoriesTest {
    private static final ContrastiveDataset PAIRS = new ContrastiveDataset("happy-sad", List.of(
            new ContrastivePair("Tim was very happy. He smiled", "Tim was very sad. He cried"),
            new ContrastivePair("Lily loved the sunny park", "Lily hated the dark park"),
            new ContrastivePair("The dog was glad to play", "The dog was scared to play"),
            new ContrastivePair("Mom gave her a big hug and laughed", "Mom was angry and shouted"),
            new ContrastivePair("They had a fun day", "They had a bad day"),
            new ContrastivePair("The cat purred with joy", "The cat hissed in fear")));

    private static SparkSession spark;
    private static Path folder;
    private static LanguageModel model;

    @BeforeAll
    static void start() {
        folder = LocalSpark.realModel("stories260k").orElse(null);
        Assumptions.assumeTrue(folder != null, "pretrained model 'stories260k' not found in ../shared/models/"
                + "stories260k or $STEER4J_MODELS/stories260k; this test needs the real checkpoint");
        spark = LocalSpark.session();
        model = LanguageModel.load(folder);
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
    }

    @Test
    void meanDifferenceAndPcaCenterEqualTheSingleMachineComputer() {
        for (VectorMethod method : List.of(VectorMethod.MEAN_DIFFERENCE, VectorMethod.PCA_CENTER)) {
            SteeringVector single = SteeringVectorComputer.builder(model).layers(1, 3).method(method).batchSize(4)
                    .build().compute(PAIRS).vector();
            SteeringVector spread = SparkVectorComputer.builder(folder.toString()).layers(1, 3).method(method)
                    .batchSize(4).build().compute(spark, PAIRS, 2);
            double diff = SparkVectorComputerTest.maxDifference(single, spread);
            System.out.println(method.id() + " stories260k, max |spark - single| = " + diff);
            assertTrue(diff <= SparkVectorComputerTest.TOLERANCE * single.norm(1), method + ": " + diff);
        }
    }

    @Test
    void steeredGenerationOnExecutorsMatchesTheSingleMachineText(@TempDir Path dir) throws Exception {
        SteeringVector v = SteeringVectorComputer.builder(model).layers(2).build().compute(PAIRS).vector();
        Path file = dir.resolve("happy-stories.safetensors");
        VectorFiles.write(v, file);
        StructType schema = new StructType().add("prompt", DataTypes.StringType)
                .add("vector", DataTypes.StringType).add("strength", DataTypes.DoubleType);
        List<Row> rows = List.of(RowFactory.create("Once upon a time", null, null),
                RowFactory.create("Once upon a time", "happy", 6.0));
        GenerationConfig greedy = GenerationConfig.greedy(12);
        List<Row> out = SparkSteering.builder(folder.toString()).vector("happy", file).build()
                .generate(spark.createDataFrame(JavaSparkContext.fromSparkContext(spark.sparkContext())
                        .parallelize(rows, 2), schema), greedy)
                .collectAsList().stream().sorted(Comparator.comparing(r -> r.isNullAt(1) ? "" : r.getString(1)))
                .toList();
        SteeredModel local = SteeredModel.of(model, SteeringPlan.NONE);
        String plain = local.generate("Once upon a time", greedy, SteeringPlan.NONE).text();
        String steered = local.generate("Once upon a time", greedy, SteeringPlan.of(v, 6.0)).text();
        assertEquals(plain, out.get(0).getAs("text"));
        assertEquals(steered, out.get(1).getAs("text"));
        assertNotEquals(plain, steered, "a strength of 6 changes the story");
    }
}
