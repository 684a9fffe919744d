package io.steer4j.spark.example;

import io.steer4j.core.format.vectorfile.VectorFiles;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.core.vector.VectorMethod;
import io.steer4j.djl.generation.GenerationConfig;
import io.steer4j.spark.SparkSteering;
import io.steer4j.spark.SparkVectorComputer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The whole Spark workflow in one program: a steering vector from a file of contrastive pairs computed on the
 * cluster, saved, then steered generations of a prompt at several strengths, one DataFrame row each.
 *
 * <pre>
 * SteerOnSpark MODEL PAIRS LAYER OUT.safetensors [PROMPT] [METHOD]
 * </pre>
 * {@code MODEL} is a folder or Hugging Face id every executor can reach; {@code PAIRS} a JSON, JSONL or CSV file
 * of pairs as {@code ContrastiveDatasets} reads them. Without a {@code spark.master} (from {@code spark-submit} or
 * {@code -Dspark.master}) it runs in local mode on every core of this machine.
 */
public final class SteerOnSpark {
    private SteerOnSpark() {
    }

    /**
     * Runs the workflow.
     *
     * @param args {@code MODEL PAIRS LAYER OUT [PROMPT] [METHOD]}
     * @throws Exception when a file cannot be read or written
     */
    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            System.err.println("usage: SteerOnSpark MODEL PAIRS LAYER OUT.safetensors [PROMPT] [METHOD]");
            System.exit(2);
        }
        String model = args[0];
        Path pairs = Path.of(args[1]);
        int layer = Integer.parseInt(args[2]);
        Path out = Path.of(args[3]);
        String prompt = args.length > 4 ? args[4] : "Once upon a time";
        VectorMethod method = args.length > 5 ? VectorMethod.parse(args[5]) : VectorMethod.MEAN_DIFFERENCE;

        SparkSession.Builder builder = SparkSession.builder().appName("steer4j");
        if (!System.getProperties().containsKey("spark.master")) {
            builder.master("local[*]");
        }
        try (SparkSession spark = builder.getOrCreate()) {
            int partitions = spark.sparkContext().defaultParallelism();
            long start = System.nanoTime();
            SteeringVector v = SparkVectorComputer.builder(model).layers(layer).method(method).build()
                    .compute(spark, pairs, partitions);
            System.out.printf("vector for layer %d from %d pairs (%s) in %.1f s over %d partitions, norm %.3f%n",
                    layer, v.metadata().datasetSize(), method.id(), (System.nanoTime() - start) / 1e9, partitions,
                    v.norm(layer));
            VectorFiles.write(v, out);

            StructType schema = new StructType().add("prompt", DataTypes.StringType)
                    .add("vector", DataTypes.StringType).add("strength", DataTypes.DoubleType);
            List<Row> rows = new ArrayList<>();
            rows.add(RowFactory.create(prompt, null, null));
            for (double s : new double[] {-8, -4, 4, 8}) {
                rows.add(RowFactory.create(prompt, "v", s));
            }
            Dataset<Row> prompts = spark.createDataFrame(rows, schema);
            SparkSteering.builder(model).vector("v", out).build()
                    .generate(prompts, GenerationConfig.greedy(30))
                    .select("strength", "finish_reason", "logprob", "text")
                    .show(false);
        }
    }
}
