package io.steer4j.spark;

import io.steer4j.core.dataset.ContrastiveDataset;
import io.steer4j.core.dataset.ContrastiveDatasets;
import io.steer4j.core.dataset.ContrastivePair;
import io.steer4j.core.plan.HookPoint;
import io.steer4j.core.vector.OrientationVotes;
import io.steer4j.core.vector.PairStatistics;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.core.vector.VectorMetadata;
import io.steer4j.core.vector.VectorMethod;
import io.steer4j.djl.steering.ExtractionSettings;
import io.steer4j.djl.steering.ReadPosition;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * {@code SteeringVectorComputer} spread over a Spark cluster: each executor loads the model once per JVM, captures
 * the activations of its partition's pairs in batches, and turns them into per-layer {@link PairStatistics}
 * (sums, counts, and for the PCA methods the scatter of the pair differences); the driver reduces them with
 * {@code treeReduce} and computes the directions. The result equals the single-machine computer's on the same
 * pairs up to float rounding.
 *
 * <p>Failure semantics: statistics travel only as task results of a {@code treeReduce}, so Spark combines exactly
 * one committed result per partition; a task that fails and is retried contributes once (accumulators would
 * not promise that). A model that cannot be loaded fails the job with the executor's {@link ExecutorModelLoadException}
 * message; a bad row (missing or empty text, a text that encodes to no tokens, a read position outside a text)
 * fails it with a {@link BadRowException} naming the row.
 *
 * <p>The PCA methods need a second pass: the principal axis comes from the reduced scatter matrix, and its sign
 * from the pairs' majority vote ({@link OrientationVotes}). The captured activations are persisted
 * ({@code MEMORY_AND_DISK}) between the two passes, so the model runs once per pair; a lost block is recomputed.
 *
 * <pre>{@code
 * Dataset<Row> pairs = spark.read().json("pairs.jsonl");          // columns positive, negative (and id)
 * SteeringVector v = SparkVectorComputer.builder("/models/gpt2")   // a folder or HF id every executor can reach
 *     .layers(4, 5, 6)
 *     .method(VectorMethod.PCA_DIFF)
 *     .idColumn("id")
 *     .build()
 *     .compute(pairs);
 * }</pre>
 */
public final class SparkVectorComputer {
    private final String modelRef;
    private final List<Integer> layers;
    private final HookPoint point;
    private final String readPosition;
    private final VectorMethod method;
    private final int batchSize;
    private final String positiveColumn;
    private final String negativeColumn;
    private final String idColumn;
    private final String datasetName;

    private SparkVectorComputer(Builder b) {
        this.modelRef = b.modelRef;
        this.layers = b.settings.layers();
        this.point = b.settings.hookPoint();
        this.readPosition = b.settings.readPosition().id();
        this.method = b.settings.method();
        this.batchSize = b.settings.batchSize();
        this.positiveColumn = b.positiveColumn;
        this.negativeColumn = b.negativeColumn;
        this.idColumn = b.idColumn;
        this.datasetName = b.datasetName;
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
     * Computes the vector from a DataFrame of pairs with the configured text columns (default {@code positive} and
     * {@code negative}) and, optionally, an id column that errors name. When a task fails for good (a bad row, a
     * model that cannot be loaded) Spark throws its {@code SparkException}, whose message carries the executor's.
     *
     * @throws IllegalArgumentException when a column is missing or the data admit no direction
     */
    public SteeringVector compute(Dataset<Row> pairs) {
        Objects.requireNonNull(pairs, "pairs");
        List<String> cols = Arrays.asList(pairs.columns());
        for (String c : new String[] {positiveColumn, negativeColumn, idColumn}) {
            if (c != null && !cols.contains(c)) {
                throw new IllegalArgumentException("the pairs have no column '" + c + "'; columns: " + cols);
            }
        }
        Dataset<Row> selected = idColumn == null ? pairs.select(positiveColumn, negativeColumn)
                : pairs.select(positiveColumn, negativeColumn, idColumn);
        JavaRDD<PairRow> rows = IdentifiedRow.of(selected, idColumn).map(t -> new PairRow(t.identity(), t.text(0),
                t.text(1)));
        return compute(rows, datasetName);
    }

    /**
     * Computes the vector from an in-memory dataset (as {@code ContrastiveDatasets.load} reads JSON, JSONL or CSV),
     * spread over {@code partitions} partitions; rows are named by their 0-based index.
     */
    public SteeringVector compute(SparkSession spark, ContrastiveDataset dataset, int partitions) {
        Objects.requireNonNull(dataset, "dataset");
        if (partitions <= 0) {
            throw new IllegalArgumentException("partitions must be positive, got " + partitions);
        }
        if (dataset.size() == 0) {
            throw new IllegalArgumentException("dataset '" + dataset.name() + "' is empty");
        }
        List<PairRow> list = new ArrayList<>();
        for (int i = 0; i < dataset.size(); i++) {
            ContrastivePair p = dataset.pairs().get(i);
            list.add(new PairRow("#" + i, p.positive(), p.negative()));
        }
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        return compute(jsc.parallelize(list, partitions), dataset.name());
    }

    /** Reads a JSON, JSONL or CSV dataset on the driver with {@link ContrastiveDatasets#load} and computes from it. */
    public SteeringVector compute(SparkSession spark, Path datasetFile, int partitions) throws IOException {
        return compute(spark, ContrastiveDatasets.load(datasetFile), partitions);
    }

    private SteeringVector compute(JavaRDD<PairRow> rows, String name) {
        if (rows.getNumPartitions() == 0) {
            throw new IllegalArgumentException("dataset '" + name + "' is empty");
        }
        List<Integer> ls = layers != null ? layers : allLayers(rows.context());
        JavaRDD<CapturedBatch> batches = rows.mapPartitions(
                new PairCapture(modelRef, ls, point, readPosition, batchSize));
        boolean pca = PairStatistics.needsScatter(method);
        if (pca) {
            batches = batches.persist(StorageLevel.MEMORY_AND_DISK());
        }
        try {
            LayerStatistics stats = batches.mapPartitions(it -> {
                LayerStatistics s = new LayerStatistics();
                while (it.hasNext()) {
                    add(s, it.next(), pca);
                }
                return List.of(s).iterator();
            }).treeReduce(LayerStatistics::merge);
            if (stats.modelId == null || stats.pairs() == 0) {
                throw new IllegalArgumentException("dataset '" + name + "' is empty");
            }
            Map<Integer, float[]> directions = new TreeMap<>();
            if (pca) {
                Map<Integer, double[]> axes = new TreeMap<>();
                for (Map.Entry<Integer, PairStatistics> e : stats.perLayer.entrySet()) {
                    axes.put(e.getKey(), principalAxis(e.getKey(), e.getValue()));
                }
                Broadcast<Map<Integer, double[]>> shared = JavaSparkContext.fromSparkContext(rows.context())
                        .broadcast(axes);
                Map<Integer, OrientationVotes> votes = batches.map(b -> votes(b, shared.value()))
                        .treeReduce(SparkVectorComputer::plus);
                for (Map.Entry<Integer, double[]> e : axes.entrySet()) {
                    directions.put(e.getKey(), PairStatistics.orient(e.getValue(), votes.get(e.getKey())));
                }
                shared.destroy();
            } else {
                for (Map.Entry<Integer, PairStatistics> e : stats.perLayer.entrySet()) {
                    directions.put(e.getKey(), e.getValue().meanDifference());
                }
            }
            VectorMetadata meta = VectorMetadata.builder()
                    .modelId(stats.modelId)
                    .hiddenSize(stats.hiddenSize)
                    .hookPoint(point)
                    .readPosition(ReadPosition.parse(readPosition).id())
                    .createdAt(Instant.now())
                    .note("dataset", name)
                    .method(method.id())
                    .datasetSize(Math.toIntExact(stats.pairs()))
                    .build();
            return new SteeringVector(directions, meta);
        } finally {
            if (pca) {
                batches.unpersist(false);
            }
        }
    }

    private List<Integer> allLayers(org.apache.spark.SparkContext sc) {
        String ref = modelRef;
        int n = JavaSparkContext.fromSparkContext(sc).parallelize(List.of(0), 1)
                .map(x -> ExecutorModels.isEncoder(ref) ? ExecutorModels.encoder(ref).numLayers()
                        : ExecutorModels.model(ref).numLayers()).first();
        List<Integer> all = new ArrayList<>();
        for (int l = 0; l < n; l++) {
            all.add(l);
        }
        return all;
    }

    private double[] principalAxis(int layer, PairStatistics s) {
        try {
            return s.principalAxis(method);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("layer " + layer + ": " + e.getMessage(), e);
        }
    }

    private static void add(LayerStatistics s, CapturedBatch b, boolean scatter) {
        s.modelId = b.modelId();
        s.hiddenSize = b.hiddenSize();
        for (Map.Entry<Integer, float[][]> e : b.positives().entrySet()) {
            PairStatistics ps = s.perLayer.computeIfAbsent(e.getKey(),
                    l -> PairStatistics.empty(b.hiddenSize(), scatter));
            float[][] p = e.getValue();
            float[][] q = b.negatives().get(e.getKey());
            for (int i = 0; i < p.length; i++) {
                ps.addPair(p[i], q[i]);
            }
        }
    }

    private static Map<Integer, OrientationVotes> votes(CapturedBatch b, Map<Integer, double[]> axes) {
        Map<Integer, OrientationVotes> out = new TreeMap<>();
        for (Map.Entry<Integer, double[]> e : axes.entrySet()) {
            float[][] p = b.positives().get(e.getKey());
            float[][] q = b.negatives().get(e.getKey());
            OrientationVotes v = OrientationVotes.NONE;
            for (int i = 0; i < p.length; i++) {
                v = v.plus(OrientationVotes.of(p[i], q[i], e.getValue()));
            }
            out.put(e.getKey(), v);
        }
        return out;
    }

    private static Map<Integer, OrientationVotes> plus(Map<Integer, OrientationVotes> a,
                                                       Map<Integer, OrientationVotes> b) {
        Map<Integer, OrientationVotes> out = new TreeMap<>(a);
        b.forEach((l, v) -> out.merge(l, v, OrientationVotes::plus));
        return out;
    }

    /**
     * Options; defaults: every layer, {@code resid_post}, last token, mean difference, batch 8 (the single-machine
     * computer's {@link ExtractionSettings}, with its checks), columns {@code positive} and {@code negative}, rows
     * named by index.
     */
    public static final class Builder {
        private final String modelRef;
        private ExtractionSettings settings = ExtractionSettings.DEFAULTS;
        private String positiveColumn = "positive";
        private String negativeColumn = "negative";
        private String idColumn;
        private String datasetName = "spark";

        private Builder(String modelRef) {
            this.modelRef = Objects.requireNonNull(modelRef, "modelRef");
            if (modelRef.isBlank()) {
                throw new IllegalArgumentException("the model reference is blank");
            }
        }

        /** Layers to compute (0-based, {@code resid_post(L)} convention); default every layer. */
        public Builder layers(int... ls) {
            settings = settings.withLayers(ls);
            return this;
        }

        /** Layers to compute. */
        public Builder layers(List<Integer> ls) {
            settings = settings.withLayers(ls);
            return this;
        }

        /** Where activations are read; default {@code resid_post}. */
        public Builder hookPoint(HookPoint p) {
            settings = settings.withHookPoint(p);
            return this;
        }

        /**
         * Which token's activation is read: {@link ReadPosition#last()}, {@link ReadPosition#mean()} or
         * {@link ReadPosition#at(int)}. A per-example indexer is code, not data, and is refused.
         */
        public Builder readPosition(ReadPosition r) {
            if (r instanceof ReadPosition.PerExample) {
                throw new IllegalArgumentException("a per-example read position cannot be shipped to executors;"
                        + " use last, mean or a fixed index");
            }
            ReadPosition.parse(r.id()); // executors rebuild it from its id
            settings = settings.withReadPosition(r);
            return this;
        }

        /** How directions are computed; default mean difference. Logistic regression needs every row and is refused. */
        public Builder method(VectorMethod m) {
            if (m == VectorMethod.LOGISTIC_REGRESSION) {
                throw new IllegalArgumentException("logistic_regression has no mergeable statistics; use"
                        + " mean_difference, pca_diff or pca_center, or the single-machine SteeringVectorComputer");
            }
            settings = settings.withMethod(m);
            return this;
        }

        /** Texts per forward pass on an executor; default 8. */
        public Builder batchSize(int n) {
            settings = settings.withBatchSize(n);
            return this;
        }

        /** Columns holding the positive and negative texts; default {@code positive} and {@code negative}. */
        public Builder textColumns(String positive, String negative) {
            this.positiveColumn = Objects.requireNonNull(positive, "positive column");
            this.negativeColumn = Objects.requireNonNull(negative, "negative column");
            return this;
        }

        /** A column whose value names a row in errors; without one, rows are named by their 0-based index. */
        public Builder idColumn(String column) {
            this.idColumn = column;
            return this;
        }

        /** The dataset name recorded in the vector's metadata ({@code note "dataset"}); default {@code spark}. */
        public Builder datasetName(String name) {
            this.datasetName = Objects.requireNonNull(name, "dataset name");
            return this;
        }

        /** The computer. */
        public SparkVectorComputer build() {
            return new SparkVectorComputer(this);
        }
    }
}
