package io.steer4j.spark;

import io.steer4j.core.dataset.MultipleChoiceItem;
import io.steer4j.core.format.vectorfile.VectorFiles;
import io.steer4j.core.plan.SteeringStrength;
import io.steer4j.core.plan.TokenScope;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.djl.eval.ContinuationItem;
import io.steer4j.djl.eval.EvalKind;
import io.steer4j.djl.eval.IntendedDirection;
import io.steer4j.djl.eval.PerplexityBound;
import io.steer4j.djl.eval.SweepCell;
import io.steer4j.djl.eval.SweepResult;
import io.steer4j.djl.eval.SweepRunner;
import io.steer4j.djl.model.LanguageModel;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * {@link SweepRunner} spread over a Spark cluster: the (layer, strength) cells are split into tasks, each task runs
 * the single-machine {@code SweepRunner} on its cells (so scoring, tokenization and batching are exactly the
 * library's), and the driver assembles the cells into one {@link SweepResult} with the same CSV, JSON and plots as
 * a single-machine run on the same inputs.
 *
 * <p>Every task measures the unsteered baseline once per layer it holds (a forward pass per batch of the
 * evaluation set), so a task per layer costs one extra baseline per layer over the single-machine run; the driver
 * checks that all tasks' baselines agree. Evaluation items are not split across tasks: each cell's score is a mean
 * over all items, measured in one task.
 *
 * <pre>{@code
 * SweepResult r = SparkSweep.builder("/models/gpt2")
 *     .vector(VectorFiles.read(Path.of("happy.safetensors")))
 *     .layers(4, 6, 8)
 *     .strengths(-8, -4, 0, 4, 8)
 *     .continuationItems(ContinuationItem.readJson(Path.of("sentiment-eval.json")))
 *     .neutralTexts(Files.readAllLines(Path.of("neutral.txt")))
 *     .build()
 *     .run(spark);
 * r.writeCsv(Path.of("sweep.csv"));
 * }</pre>
 */
public final class SparkSweep {
    private final String modelRef;
    private final SteeringVector vector;
    private final List<Integer> layers;
    private final List<Double> strengths;
    private final List<String[]> continuationItems;
    private final List<String[]> multipleChoiceItems;
    private final List<String> neutralTexts;
    private final PerplexityBound bound;
    private final IntendedDirection direction;
    private final TokenScope scope;
    private final int batchSize;
    private final int tasks;

    private SparkSweep(Builder b) {
        this.modelRef = b.modelRef;
        this.vector = Objects.requireNonNull(b.vector, "no steering vector: pass one with vector(...)");
        TreeSet<Integer> ls = new TreeSet<>(b.layers != null ? b.layers : vector.layers());
        if (ls.isEmpty()) {
            throw new IllegalArgumentException("no layers given: pass at least one layer to sweep");
        }
        for (int l : ls) {
            if (!vector.hasLayer(l)) {
                throw new IllegalArgumentException("the vector has no direction for layer " + l + "; it has "
                        + vector.layers());
            }
        }
        this.layers = List.copyOf(ls);
        if (b.strengths == null || b.strengths.isEmpty()) {
            throw new IllegalArgumentException("no strengths given: pass at least one strength, e.g. 0, 1, 2, 4, 8");
        }
        TreeSet<Double> ss = new TreeSet<>();
        for (double s : b.strengths) {
            if (!Double.isFinite(s)) {
                throw new IllegalArgumentException("strength " + s + " is not a finite number");
            }
            ss.add(s == 0 ? 0.0 : s);
        }
        this.strengths = List.copyOf(ss);
        // refused on the driver, before any task ships, with the message the executors' SweepRunner would give
        for (int l : layers) {
            for (double s : strengths) {
                SteeringStrength.check(s, vector.direction(l), "layer " + l);
            }
        }
        if ((b.continuationItems == null) == (b.multipleChoiceItems == null)) {
            throw new IllegalArgumentException("pass either continuation items or multiple-choice items");
        }
        this.continuationItems = b.continuationItems;
        this.multipleChoiceItems = b.multipleChoiceItems;
        this.neutralTexts = Objects.requireNonNull(b.neutralTexts, "no neutral texts: the perplexity side effect"
                + " needs at least one");
        this.bound = b.bound;
        this.direction = b.direction;
        this.scope = b.scope;
        this.batchSize = b.batchSize;
        this.tasks = b.tasks;
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
     * Runs the sweep on {@code spark}'s cluster.
     *
     * @throws IllegalStateException when tasks measured different baselines (different models or library
     *                               versions on the executors)
     */
    public SweepResult run(SparkSession spark) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Broadcast<ShippedVector> shipped = jsc.broadcast(ShippedVector.of(vector));
        try {
            List<SweepTask> taskList = split(shipped);
            List<SweepPart> parts = jsc.parallelize(taskList, taskList.size()).map(SweepTask::run).collect();
            return assemble(parts);
        } finally {
            shipped.destroy();
        }
    }

    /** Splits the cells, layer-major, into up to {@code tasks} contiguous groups. */
    private List<SweepTask> split(Broadcast<ShippedVector> vector) {
        List<double[]> cells = new ArrayList<>();
        for (int l : layers) {
            for (double s : strengths) {
                cells.add(new double[] {l, s});
            }
        }
        int n = tasks > 0 ? Math.min(tasks, cells.size()) : layers.size();
        List<SweepTask> out = new ArrayList<>();
        for (int t = 0; t < n; t++) {
            int from = (int) ((long) cells.size() * t / n);
            int to = (int) ((long) cells.size() * (t + 1) / n);
            Map<Integer, List<Double>> byLayer = new TreeMap<>();
            for (double[] c : cells.subList(from, to)) {
                byLayer.computeIfAbsent((int) c[0], k -> new ArrayList<>()).add(c[1]);
            }
            out.add(new SweepTask(modelRef, vector, byLayer, continuationItems, multipleChoiceItems, neutralTexts,
                    bound.kind() == PerplexityBound.Kind.RELATIVE, bound.limit(), direction, scope.toString(),
                    batchSize));
        }
        return out;
    }

    private SweepResult assemble(List<SweepPart> parts) {
        SweepPart first = parts.get(0);
        List<SweepCell> cells = new ArrayList<>();
        for (SweepPart p : parts) {
            if (!p.modelId().equals(first.modelId()) || !sameBaseline(p, first)) {
                throw new IllegalStateException("tasks measured different unsteered baselines: model '"
                        + first.modelId() + "' score " + first.baselineScore() + ", perplexity "
                        + first.baselinePerplexity() + " vs model '" + p.modelId() + "' score " + p.baselineScore()
                        + ", perplexity " + p.baselinePerplexity()
                        + "; do all executors load the same model and steer4j version?");
            }
            for (double[] c : p.cells()) {
                cells.add(new SweepCell((int) c[0], c[1], c[2], c[3], c[4], c[5], first.baselinePerplexity()));
            }
        }
        cells.sort(Comparator.comparingInt(SweepCell::layer).thenComparingDouble(SweepCell::strength));
        return SweepResult.of(first.modelId(), EvalKind.valueOf(first.kind()), first.itemCount(),
                first.neutralTextCount(), layers, strengths, first.baselineScore(), first.baselinePerplexity(),
                cells, bound, direction, scope, vector);
    }

    /** Same inputs on the same model give the same baseline; allow only reduction-order rounding between hosts. */
    private static boolean sameBaseline(SweepPart a, SweepPart b) {
        return close(a.baselineScore(), b.baselineScore()) && close(a.baselinePerplexity(), b.baselinePerplexity());
    }

    private static boolean close(double a, double b) {
        return Math.abs(a - b) <= 1e-6 * Math.max(1, Math.max(Math.abs(a), Math.abs(b)));
    }

    /**
     * What one task measured.
     *
     * @param cells each {@code {layer, strength, effect, perplexity, kl, score}}
     */
    record SweepPart(String modelId, String kind, int itemCount, int neutralTextCount, double baselineScore,
                     double baselinePerplexity, List<double[]> cells) implements Serializable {
    }

    /** One task's cells and the inputs to measure them, in a form Spark can ship. */
    record SweepTask(String modelRef, Broadcast<ShippedVector> vector, Map<Integer, List<Double>> strengthsByLayer,
                     List<String[]> continuationItems, List<String[]> multipleChoiceItems, List<String> neutralTexts,
                     boolean relativeBound, double boundLimit, IntendedDirection direction, String scope,
                     int batchSize) implements Serializable {

        SweepPart run() {
            LanguageModel model = ExecutorModels.model(modelRef);
            SteeringVector v = vector.value().vector();
            List<double[]> cells = new ArrayList<>();
            SweepResult last = null;
            for (Map.Entry<Integer, List<Double>> e : strengthsByLayer.entrySet()) {
                SweepRunner.Builder b = SweepRunner.builder(model).vector(v).layers(e.getKey())
                        .strengths(e.getValue()).neutralTexts(neutralTexts)
                        .perplexityBound(relativeBound ? PerplexityBound.relative(boundLimit)
                                : PerplexityBound.absolute(boundLimit))
                        .direction(direction).scope(TokenScope.parse(scope)).batchSize(batchSize);
                if (continuationItems != null) {
                    b.continuationItems(continuationItems.stream()
                            .map(s -> new ContinuationItem(s[0], s[1], s[2])).toList());
                } else {
                    b.multipleChoiceItems(multipleChoiceItems.stream()
                            .map(s -> new MultipleChoiceItem(s[0], s[1], s[2])).toList());
                }
                last = b.build().run();
                for (SweepCell c : last.cells()) {
                    cells.add(new double[] {c.layer(), c.strength(), c.effect(), c.perplexity(), c.kl(), c.score()});
                }
            }
            int items = continuationItems != null ? continuationItems.size() : multipleChoiceItems.size();
            return new SweepPart(last.modelId(), last.evalKind().name(), items, neutralTexts.size(),
                    last.baselineScore(), last.baselinePerplexity(), cells);
        }
    }

    /**
     * Options, as {@link SweepRunner.Builder}'s. Required: a vector, strengths, an evaluation set and neutral
     * texts. Defaults: the vector's layers, all-token scope, perplexity bound +25%, direction increase, batch 8,
     * one task per layer.
     */
    public static final class Builder {
        private final String modelRef;
        private SteeringVector vector;
        private List<Integer> layers;
        private List<Double> strengths;
        private List<String[]> continuationItems;
        private List<String[]> multipleChoiceItems;
        private List<String> neutralTexts;
        private PerplexityBound bound = PerplexityBound.DEFAULT;
        private IntendedDirection direction = IntendedDirection.INCREASE;
        private TokenScope scope = TokenScope.all();
        private int batchSize = 8;
        private int tasks;

        private Builder(String modelRef) {
            this.modelRef = Objects.requireNonNull(modelRef, "modelRef");
        }

        /** The vector to sweep; it needs a direction for every swept layer. */
        public Builder vector(SteeringVector v) {
            this.vector = Objects.requireNonNull(v, "vector");
            return this;
        }

        /** Layers to sweep; default the vector's layers. */
        public Builder layers(int... ls) {
            List<Integer> list = new ArrayList<>();
            for (int l : ls) {
                list.add(l);
            }
            this.layers = list;
            return this;
        }

        /** Strengths to sweep; duplicates are dropped and the rest sorted. */
        public Builder strengths(double... ss) {
            List<Double> list = new ArrayList<>();
            for (double s : ss) {
                list.add(s);
            }
            this.strengths = list;
            return this;
        }

        /** Evaluate with prompt / positive / negative continuations. */
        public Builder continuationItems(List<ContinuationItem> items) {
            if (items.isEmpty()) {
                throw new IllegalArgumentException("the evaluation set is empty: pass at least one continuation item");
            }
            this.continuationItems = items.stream()
                    .map(i -> new String[] {i.prompt(), i.positive(), i.negative()}).toList();
            return this;
        }

        /** Evaluate with A/B questions. */
        public Builder multipleChoiceItems(List<MultipleChoiceItem> items) {
            if (items.isEmpty()) {
                throw new IllegalArgumentException("the evaluation set is empty: pass at least one multiple-choice"
                        + " item");
            }
            this.multipleChoiceItems = items.stream().map(i -> new String[] {i.question(),
                    i.answerMatchingBehavior(), i.answerNotMatchingBehavior()}).toList();
            return this;
        }

        /** Texts whose perplexity measures the fluency cost of steering. */
        public Builder neutralTexts(List<String> texts) {
            if (texts.isEmpty()) {
                throw new IllegalArgumentException("no neutral texts: the perplexity side effect needs at least one");
            }
            this.neutralTexts = List.copyOf(texts);
            return this;
        }

        /** How far perplexity may rise for a cell to be recommended; default +25% relative. */
        public Builder perplexityBound(PerplexityBound b) {
            this.bound = Objects.requireNonNull(b, "bound");
            return this;
        }

        /** Which sign of effect the recommendation looks for; default increase. */
        public Builder direction(IntendedDirection d) {
            this.direction = Objects.requireNonNull(d, "direction");
            return this;
        }

        /** Which tokens are steered; default every token. */
        public Builder scope(TokenScope s) {
            this.scope = Objects.requireNonNull(s, "scope");
            return this;
        }

        /** Sequences per forward pass on an executor; default 8. */
        public Builder batchSize(int n) {
            if (n <= 0) {
                throw new IllegalArgumentException("batch size must be positive, got " + n);
            }
            this.batchSize = n;
            return this;
        }

        /** How many tasks the cells are split into (contiguous, layer-major); default one per layer. */
        public Builder tasks(int n) {
            if (n <= 0) {
                throw new IllegalArgumentException("tasks must be positive, got " + n);
            }
            this.tasks = n;
            return this;
        }

        /** Validates the options. */
        public SparkSweep build() {
            return new SparkSweep(this);
        }
    }
}
