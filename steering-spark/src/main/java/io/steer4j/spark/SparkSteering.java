package io.steer4j.spark;

import io.steer4j.core.format.vectorfile.VectorFiles;
import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.djl.generation.CancellationToken;
import io.steer4j.djl.generation.GenerationConfig;
import io.steer4j.djl.generation.GenerationResult;
import io.steer4j.djl.generation.TokenListener;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.steering.SteeredModel;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Batch generation and scoring of a DataFrame of prompts on a Spark cluster, each row with its own steering plan.
 *
 * <p>Input columns: {@code prompt} (string, required); {@code vector} (string, optional: the name of a vector
 * registered with {@link Builder#vector}, null for the plain model), {@code strength} (double, required with a
 * vector), {@code layer} (int, optional: steer only this layer of the vector, else all of its layers); for
 * {@link #score} also {@code continuation} (string). Other columns are carried through unchanged. The vector files
 * are read on the driver when {@link #generate} or {@link #score} is called and broadcast to the executors (a file
 * changed later does not change that DataFrame); each executor loads the model once.
 *
 * <p>{@link #generate} adds {@code text} (the generated text), {@code finish_reason} ({@code eos},
 * {@code stop_token}, {@code length} or {@code context_full}), {@code generated_tokens} and {@code logprob} (the
 * log-probability of the generated text as a continuation of the prompt under the row's plan, by
 * {@link SteeredModel#continuationLogProb}; null when nothing was generated). {@link #score} adds {@code logprob}
 * and {@code token_logprobs} of each row's continuation. Rows are processed in batches of
 * {@link Builder#batchSize} through {@link SteeredModel#generateBatch}, a plan per row. A bad row (no prompt, an
 * unknown vector name, a vector without a strength, a layer the vector lacks) fails the job with a
 * {@link BadRowException} naming it.
 *
 * <pre>{@code
 * SparkSteering steering = SparkSteering.builder("/models/gpt2")
 *     .vector("happy", Path.of("happy.safetensors"))
 *     .build();
 * Dataset<Row> out = steering.generate(spark.read().json("prompts.jsonl"), GenerationConfig.greedy(40));
 * out.select("id", "strength", "text", "finish_reason").show();
 * }</pre>
 */
public final class SparkSteering {
    private final String modelRef;
    private final Map<String, Path> vectors;
    private final int batchSize;
    private final String idColumn;

    private SparkSteering(Builder b) {
        this.modelRef = b.modelRef;
        this.vectors = Map.copyOf(b.vectors);
        this.batchSize = b.batchSize;
        this.idColumn = b.idColumn;
    }

    /**
     * Starts a builder.
     *
     * @param modelRef a model folder or Hugging Face id that every executor can reach
     */
    public static Builder builder(String modelRef) {
        return new Builder(modelRef);
    }

    /**
     * Generates for every row.
     *
     * @return the input rows with {@code text}, {@code finish_reason}, {@code generated_tokens} and {@code logprob}
     *         appended
     * @throws IllegalArgumentException when the {@code prompt} column (or the id column) is missing
     */
    public Dataset<Row> generate(Dataset<Row> prompts, GenerationConfig config) {
        Objects.requireNonNull(config, "config");
        StructType out = prompts.schema()
                .add("text", DataTypes.StringType)
                .add("finish_reason", DataTypes.StringType)
                .add("generated_tokens", DataTypes.IntegerType)
                .add("logprob", DataTypes.DoubleType);
        return run(prompts, out, (shipped, columns) -> new Work(modelRef, shipped, batchSize,
                GenerationSettings.of(config), false, columns), false);
    }

    /**
     * Scores each row's {@code continuation} after its {@code prompt} under its plan.
     *
     * @return the input rows with {@code logprob} (sum) and {@code token_logprobs} appended
     * @throws IllegalArgumentException when the {@code prompt} or {@code continuation} column is missing
     */
    public Dataset<Row> score(Dataset<Row> rows) {
        StructType out = rows.schema()
                .add("logprob", DataTypes.DoubleType)
                .add("token_logprobs", DataTypes.createArrayType(DataTypes.DoubleType, false));
        return run(rows, out, (shipped, columns) -> new Work(modelRef, shipped, batchSize, null, true, columns),
                true);
    }

    /** The executor side of one call, given the broadcast vectors and the column positions. */
    private interface WorkFactory {
        Work create(Broadcast<Map<String, ShippedVector>> vectors, Columns columns);
    }

    private Dataset<Row> run(Dataset<Row> in, StructType schema, WorkFactory work, boolean scoring) {
        Columns columns = Columns.of(in.columns(), scoring);
        JavaRDD<IdentifiedRow> rows = IdentifiedRow.of(in, idColumn);
        SparkSession spark = in.sparkSession();
        Map<String, ShippedVector> shipped = new LinkedHashMap<>();
        for (Map.Entry<String, Path> e : vectors.entrySet()) {
            try {
                shipped.put(e.getKey(), ShippedVector.of(VectorFiles.read(e.getValue())));
            } catch (IOException ex) {
                throw new UncheckedIOException("could not read vector '" + e.getKey() + "' from " + e.getValue()
                        + ": " + ex.getMessage(), ex);
            }
        }
        Broadcast<Map<String, ShippedVector>> broadcast = JavaSparkContext.fromSparkContext(spark.sparkContext())
                .broadcast(shipped);
        return spark.createDataFrame(rows.mapPartitions(work.create(broadcast, columns)),
                schema);
    }

    /** Positions of the columns the executors read. */
    private record Columns(int prompt, int continuation, int vector, int strength, int layer) implements Serializable {
        static Columns of(String[] columns, boolean scoring) {
            List<String> cols = Arrays.asList(columns);
            if (!cols.contains("prompt")) {
                throw new IllegalArgumentException("the rows have no 'prompt' column; columns: " + cols);
            }
            if (scoring && !cols.contains("continuation")) {
                throw new IllegalArgumentException("scoring needs a 'continuation' column; columns: " + cols);
            }
            return new Columns(cols.indexOf("prompt"), cols.indexOf("continuation"), cols.indexOf("vector"),
                    cols.indexOf("strength"), cols.indexOf("layer"));
        }
    }

    /** The executor side: batches a partition's rows, builds each row's plan, generates or scores. */
    private static final class Work implements
            org.apache.spark.api.java.function.FlatMapFunction<Iterator<IdentifiedRow>, Row> {
        private static final long serialVersionUID = 1L;
        private final String modelRef;
        private final Broadcast<Map<String, ShippedVector>> vectors;
        private final int batchSize;
        private final GenerationSettings generation;
        private final boolean scoring;
        private final Columns columns;

        Work(String modelRef, Broadcast<Map<String, ShippedVector>> vectors, int batchSize,
             GenerationSettings generation, boolean scoring, Columns columns) {
            this.modelRef = modelRef;
            this.vectors = vectors;
            this.batchSize = batchSize;
            this.generation = generation;
            this.scoring = scoring;
            this.columns = columns;
        }

        @Override
        public Iterator<Row> call(Iterator<IdentifiedRow> rows) {
            if (!rows.hasNext()) {
                return java.util.Collections.emptyIterator();
            }
            LanguageModel model = ExecutorModels.model(modelRef);
            SteeredModel steered = SteeredModel.of(model, SteeringPlan.NONE);
            Map<String, SteeringVector> named = ShippedVector.vectors(vectors.value());
            GenerationConfig config = generation == null ? null : generation.toConfig();
            return new Iterator<>() {
                private Iterator<Row> current = java.util.Collections.emptyIterator();

                @Override
                public boolean hasNext() {
                    while (!current.hasNext() && rows.hasNext()) {
                        List<IdentifiedRow> batch = new ArrayList<>(batchSize);
                        while (rows.hasNext() && batch.size() < batchSize) {
                            batch.add(rows.next());
                        }
                        current = (scoring ? score(steered, named, batch)
                                : generate(steered, named, config, batch)).iterator();
                    }
                    return current.hasNext();
                }

                @Override
                public Row next() {
                    if (!hasNext()) {
                        throw new java.util.NoSuchElementException();
                    }
                    return current.next();
                }
            };
        }

        private List<Row> generate(SteeredModel steered, Map<String, SteeringVector> named, GenerationConfig config,
                                   List<IdentifiedRow> batch) {
            List<String> prompts = new ArrayList<>();
            List<SteeringPlan> plans = new ArrayList<>();
            for (IdentifiedRow t : batch) {
                prompts.add(t.requireText(columns.prompt(), "prompt"));
                plans.add(plan(t, steered.model(), named));
            }
            List<GenerationResult> results;
            try {
                results = steered.generateBatch(prompts, config, plans, TokenListener.NONE, CancellationToken.NEVER);
            } catch (IllegalArgumentException e) {
                throw blame(batch, e, i -> steered.generateBatch(List.of(prompts.get(i)), config,
                        List.of(plans.get(i)), TokenListener.NONE, CancellationToken.NEVER));
            }
            List<Row> out = new ArrayList<>();
            for (int i = 0; i < batch.size(); i++) {
                GenerationResult r = results.get(i);
                Double logProb = r.text().isEmpty() ? null
                        : steered.continuationLogProb(prompts.get(i), r.text(), plans.get(i));
                out.add(append(batch.get(i).row(), r.text(), r.finishReason().name().toLowerCase(java.util.Locale.ROOT),
                        r.tokens().length, logProb));
            }
            return out;
        }

        private List<Row> score(SteeredModel steered, Map<String, SteeringVector> named,
                                List<IdentifiedRow> batch) {
            List<Row> out = new ArrayList<>();
            for (IdentifiedRow t : batch) {
                String prompt = t.requireText(columns.prompt(), "prompt");
                String continuation = t.requireText(columns.continuation(), "continuation");
                SteeringPlan plan = plan(t, steered.model(), named);
                double[] lp;
                try {
                    lp = steered.continuationLogProbs(prompt, continuation, plan);
                } catch (IllegalArgumentException e) {
                    throw new BadRowException(t.identity(), e.getMessage(), e);
                }
                double sum = 0;
                for (double d : lp) {
                    sum += d;
                }
                out.add(append(t.row(), sum, lp));
            }
            return out;
        }

        /** Finds which row of a failed batch is at fault by running the rows alone. */
        private static BadRowException blame(List<IdentifiedRow> batch, IllegalArgumentException e,
                                             java.util.function.IntConsumer alone) {
            for (int i = 0; i < batch.size(); i++) {
                try {
                    alone.accept(i);
                } catch (IllegalArgumentException single) {
                    return new BadRowException(batch.get(i).identity(), single.getMessage(), single);
                }
            }
            return new BadRowException(batch.get(0).identity() + ".." + batch.get(batch.size() - 1).identity(),
                    "the batch failed: " + e.getMessage(), e);
        }

        private SteeringPlan plan(IdentifiedRow t, LanguageModel model, Map<String, SteeringVector> named) {
            Row r = t.row();
            if (columns.vector() < 0 || r.isNullAt(columns.vector())) {
                return SteeringPlan.NONE;
            }
            String name = r.get(columns.vector()).toString();
            SteeringVector v = named.get(name);
            if (v == null) {
                throw new BadRowException(t.identity(), "unknown vector '" + name + "'; registered vectors: "
                        + named.keySet());
            }
            if (columns.strength() < 0 || r.isNullAt(columns.strength())) {
                throw new BadRowException(t.identity(), "vector '" + name + "' is given without a strength");
            }
            double strength = ((Number) r.get(columns.strength())).doubleValue();
            if (!Double.isFinite(strength)) {
                throw new BadRowException(t.identity(), "strength " + strength + " is not a finite number");
            }
            try {
                SteeringPlan plan;
                if (columns.layer() >= 0 && !r.isNullAt(columns.layer())) {
                    int layer = ((Number) r.get(columns.layer())).intValue();
                    if (!v.hasLayer(layer)) {
                        throw new IllegalArgumentException("vector '" + name + "' has no layer " + layer
                                + "; it has " + v.layers());
                    }
                    plan = SteeringPlan.atLayers(v, strength, layer);
                } else {
                    plan = SteeringPlan.of(v, strength);
                }
                plan.validate(model.numLayers(), model.hiddenSize());
                return plan;
            } catch (IllegalArgumentException e) {
                throw new BadRowException(t.identity(), e.getMessage(), e);
            }
        }

        private static Row append(Row r, Object... extra) {
            Object[] values = new Object[r.length() + extra.length];
            for (int i = 0; i < r.length(); i++) {
                values[i] = r.get(i);
            }
            System.arraycopy(extra, 0, values, r.length(), extra.length);
            return RowFactory.create(values);
        }
    }

    /** Options; defaults: no vectors (every row unsteered), batch 8, rows named by index. */
    public static final class Builder {
        private final String modelRef;
        private final Map<String, Path> vectors = new LinkedHashMap<>();
        private int batchSize = 8;
        private String idColumn;

        private Builder(String modelRef) {
            this.modelRef = Objects.requireNonNull(modelRef, "modelRef");
            if (modelRef.isBlank()) {
                throw new IllegalArgumentException("the model reference is blank");
            }
        }

        /**
         * Registers a vector file (steer4j safetensors or GGUF) under the name rows use in their {@code vector}
         * column; it is read on the driver by each {@link SparkSteering#generate}/{@link SparkSteering#score} call
         * and broadcast to the executors.
         *
         * @throws IllegalArgumentException if the file does not exist or the name is taken
         */
        public Builder vector(String name, Path file) {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(file, "file");
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException("vector file " + file + " does not exist");
            }
            if (vectors.putIfAbsent(name, file) != null) {
                throw new IllegalArgumentException("a vector named '" + name + "' is already registered");
            }
            return this;
        }

        /** Rows per batch on an executor; default 8. */
        public Builder batchSize(int n) {
            if (n <= 0) {
                throw new IllegalArgumentException("batch size must be positive, got " + n);
            }
            this.batchSize = n;
            return this;
        }

        /** A column whose value names a row in errors; without one, rows are named by their 0-based index. */
        public Builder idColumn(String column) {
            this.idColumn = column;
            return this;
        }

        /** The configured job. */
        public SparkSteering build() {
            return new SparkSteering(this);
        }
    }
}
