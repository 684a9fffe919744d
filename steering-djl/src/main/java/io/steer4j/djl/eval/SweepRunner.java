package io.steer4j.djl.eval;

import io.steer4j.core.dataset.ContrastiveDataset;
import io.steer4j.core.dataset.MultipleChoiceItem;
import io.steer4j.core.eval.AbChoice;
import io.steer4j.core.eval.ContinuationScore;
import io.steer4j.core.eval.KlDivergence;
import io.steer4j.core.eval.Perplexity;
import io.steer4j.core.plan.HookPoint;
import io.steer4j.core.plan.TokenScope;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.djl.hooks.HookSet;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.steering.SteeringVectorComputer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Sweeps a steering vector over layers × strengths and measures, for every cell, the behaviour effect and the
 * side effects of steering.
 *
 * <ul>
 *   <li><b>Effect</b> (steered score minus unsteered score): with {@link ContinuationItem}s the score is the mean
 *       over items of {@code logP(positive | prompt) - logP(negative | prompt)}; with A/B
 *       {@link MultipleChoiceItem}s it is the mean probability of the behaviour-matching answer letter, from the
 *       next-token log-probabilities of the two letters ({@link AbChoice}).</li>
 *   <li><b>Perplexity</b> of the neutral texts under steering (all their tokens pooled), reported with its ratio
 *       and difference to the unsteered perplexity.</li>
 *   <li><b>KL</b>: mean over the eval prompts of {@code KL(unsteered || steered)} of the next-token distribution
 *       right after the prompt.</li>
 * </ul>
 *
 * <p>Steering adds {@code strength × direction(layer)} at the vector's hook point of that one layer, on every
 * token by default ({@link Builder#scope}). For scopes, an eval row's prompt is its prompt and its scored
 * continuation counts as generated; a neutral text's first token is its prompt.
 *
 * <p>Cost: every eval and neutral sequence is tokenized once and packed into fixed, length-sorted batches
 * ({@link Builder#batchSize}). The unsteered baseline runs once; each cell with a non-zero strength then costs one
 * forward pass per batch, which yields its effect, perplexity and KL together (the KL distribution is read from the
 * positive-continuation row, which contains the prompt). Strength 0 is the unsteered model, so its cells reuse the
 * baseline and have effect and KL exactly 0. With a {@link ContrastiveDataset} instead of a vector, one vector per
 * swept layer is computed in a single extraction pass first.
 *
 * <pre>{@code
 * SweepResult r = SweepRunner.builder(model)
 *     .dataset(ContrastiveDatasets.load(Path.of("sentiment.json")))
 *     .layers(4, 6, 8)
 *     .strengths(-8, -4, 0, 1, 2, 4, 8)
 *     .continuationItems(ContinuationItem.readJson(Path.of("sentiment-eval.json")))
 *     .neutralTexts(Files.readAllLines(Path.of("neutral.txt")))
 *     .showProgress(true)
 *     .build()
 *     .run();
 * r.writeCsv(out.resolve("sweep.csv"));
 * r.writeHeatmap(out.resolve("heatmap.png"));
 * System.out.println(r.recommendation().rule());
 * }</pre>
 */
public final class SweepRunner {
    private static final Logger LOG = LoggerFactory.getLogger(SweepRunner.class);

    private final LanguageModel model;
    private final SweepGrid grid;
    private final SteeringVector givenVector;
    private final ContrastiveDataset dataset;
    private final EvalKind kind;
    private final int itemCount;
    private final int neutralCount;
    private final PerplexityBound bound;
    private final IntendedDirection direction;
    private final TokenScope scope;
    private final boolean progress;
    private final ScoringRows rows;
    /** Rows [0, evalRows) are eval rows (continuation: 2 per item, positive first; A/B: 1 per item). */
    private final int evalRows;

    private SweepRunner(Builder b) {
        this.model = Objects.requireNonNull(b.model, "model");
        if (b.vector == null && b.dataset == null) {
            throw new IllegalArgumentException("no steering vector: pass a vector or a contrastive dataset to"
                    + " compute one from");
        }
        if (b.vector != null && b.dataset != null) {
            throw new IllegalArgumentException("pass either a vector or a contrastive dataset, not both");
        }
        this.givenVector = b.vector;
        this.dataset = b.dataset;
        if (givenVector != null && givenVector.hiddenSize() != model.hiddenSize()) {
            throw new IllegalArgumentException("the vector has hidden size " + givenVector.hiddenSize()
                    + " but the model's hidden size is " + model.hiddenSize());
        }
        this.grid = SweepGrid.of(b.layers, b.strengths, model, givenVector);
        if (givenVector != null) {
            grid.checkAddedNorms(givenVector);
        }
        if (b.continuationItems != null && b.multipleChoiceItems != null) {
            throw new IllegalArgumentException("pass either continuation items or multiple-choice items, not both");
        }
        if (b.continuationItems == null && b.multipleChoiceItems == null) {
            throw new IllegalArgumentException("no evaluation set: pass continuation items or multiple-choice items");
        }
        SweepRowEncoder encoder = new SweepRowEncoder(model);
        List<ScoringRows.Row> list = new ArrayList<>();
        if (b.continuationItems != null) {
            if (b.continuationItems.isEmpty()) {
                throw new IllegalArgumentException("the evaluation set is empty: pass at least one continuation item");
            }
            this.kind = EvalKind.CONTINUATION;
            this.itemCount = b.continuationItems.size();
            for (int i = 0; i < itemCount; i++) {
                ContinuationItem it = b.continuationItems.get(i);
                list.add(encoder.continuation(it.prompt(), it.positive(), true, i, "eval item " + i + " positive"));
                list.add(encoder.continuation(it.prompt(), it.negative(), false, i, "eval item " + i + " negative"));
            }
        } else {
            if (b.multipleChoiceItems.isEmpty()) {
                throw new IllegalArgumentException("the evaluation set is empty: pass at least one multiple-choice item");
            }
            this.kind = EvalKind.MULTIPLE_CHOICE;
            this.itemCount = b.multipleChoiceItems.size();
            for (int i = 0; i < itemCount; i++) {
                list.add(encoder.multipleChoice(b.multipleChoiceItems.get(i), i));
            }
        }
        this.evalRows = list.size();
        if (b.neutralTexts == null || b.neutralTexts.isEmpty()) {
            throw new IllegalArgumentException("no neutral texts: the perplexity side effect needs at least one");
        }
        this.neutralCount = b.neutralTexts.size();
        for (int i = 0; i < neutralCount; i++) {
            list.add(encoder.neutral(Objects.requireNonNull(b.neutralTexts.get(i), "neutral text " + i), i));
        }
        if (b.batchSize <= 0) {
            throw new IllegalArgumentException("batch size must be positive, got " + b.batchSize);
        }
        this.bound = Objects.requireNonNull(b.bound, "perplexity bound");
        this.direction = Objects.requireNonNull(b.direction, "direction");
        this.scope = Objects.requireNonNull(b.scope, "scope");
        this.progress = b.progress;
        this.rows = new ScoringRows(model, list, b.batchSize);
    }

    /** Starts a builder for a sweep on {@code model}. */
    public static Builder builder(LanguageModel model) {
        return new Builder(model);
    }

    /** The layers swept, ascending. */
    public List<Integer> layers() {
        return grid.layers();
    }

    /** The strengths swept, ascending. */
    public List<Double> strengths() {
        return grid.strengths();
    }

    /** Forward passes {@link #run()} will make (excluding vector extraction). */
    public long forwardPasses() {
        long nonZero = grid.strengths().stream().filter(s -> s != 0).count();
        return (long) rows.batchCount() * (1 + grid.layers().size() * nonZero);
    }

    /**
     * Runs the sweep: extracts the vector if a dataset was given, scores the unsteered baseline once, then every
     * (layer, strength) cell in layer-major, strength-ascending order.
     */
    public SweepResult run() {
        List<Integer> layers = grid.layers();
        List<Double> strengths = grid.strengths();
        SteeringVector vector = givenVector;
        if (vector == null) {
            LOG.info("computing a steering vector for layers {} from '{}' ({} pairs)", layers, dataset.name(),
                    dataset.size());
            vector = SteeringVectorComputer.builder(model).layers(layers).showProgress(progress)
                    .keepActivations(false).build().compute(dataset).vector();
        }
        grid.checkAddedNorms(vector);
        HookPoint point = HookPoint.parse(vector.metadata().hookPoint());
        LOG.info("sweeping {} layers x {} strengths on {} {} items and {} neutral texts: {} forward passes",
                layers.size(), strengths.size(), itemCount, kind, neutralCount, forwardPasses());
        List<SweepCell> cells = new ArrayList<>();
        try (ProgressBar bar = progress ? new ProgressBarBuilder().setTaskName("sweep").setUnit(" passes", 1)
                .setInitialMax(forwardPasses()).setStyle(ProgressBarStyle.ASCII).continuousUpdate().build() : null) {
            Runnable step = bar == null ? () -> { } : bar::step;
            ScoringRows.Output[] base = rows.run(HookSet.NONE, step);
            double baseScore = score(base);
            double basePpl = perplexity(base);
            float[][] baseDist = new float[itemCount][];
            for (int i = 0; i < itemCount; i++) {
                baseDist[i] = base[distributionRow(i)].distribution();
            }
            for (int layer : layers) {
                float[] dir = vector.direction(layer);
                for (double s : strengths) {
                    if (bar != null) {
                        bar.setExtraMessage(" layer " + layer + " x" + s);
                    }
                    ScoringRows.Output[] out = s == 0 ? base
                            : rows.run(HookSet.builder().add(point, layer, new AddHook(dir, s, scope)).build(), step);
                    double sc = score(out);
                    double kl = 0;
                    for (int i = 0; i < itemCount; i++) {
                        kl += KlDivergence.fromLogits(baseDist[i], out[distributionRow(i)].distribution());
                    }
                    cells.add(new SweepCell(layer, s, sc - baseScore, perplexity(out), kl / itemCount, sc, basePpl));
                }
            }
            return new SweepResult(model.modelId(), kind, itemCount, neutralCount, layers, strengths, baseScore,
                    basePpl, cells, bound, direction, scope, vector);
        }
    }

    private int distributionRow(int item) {
        return kind == EvalKind.CONTINUATION ? 2 * item : item;
    }

    private double score(ScoringRows.Output[] out) {
        double sum = 0;
        for (int i = 0; i < itemCount; i++) {
            if (kind == EvalKind.CONTINUATION) {
                sum += ContinuationScore.logProbDifference(out[2 * i].targetLogProbs(),
                        out[2 * i + 1].targetLogProbs());
            } else {
                double[] lp = out[i].targetLogProbs();
                sum += AbChoice.probabilityOfA(lp[0], lp[1]);
            }
        }
        return sum / itemCount;
    }

    private double perplexity(ScoringRows.Output[] out) {
        int n = 0;
        for (int r = evalRows; r < out.length; r++) {
            n += out[r].targetLogProbs().length;
        }
        double[] all = new double[n];
        int k = 0;
        for (int r = evalRows; r < out.length; r++) {
            double[] t = out[r].targetLogProbs();
            System.arraycopy(t, 0, all, k, t.length);
            k += t.length;
        }
        return Perplexity.fromLogProbs(all);
    }

    /**
     * Options. Required: a vector or a contrastive dataset, strengths, an evaluation set (continuation or A/B
     * items) and neutral texts. Defaults: the vector's layers (every layer with a dataset), all-token scope,
     * perplexity bound +25%, direction {@link IntendedDirection#INCREASE}, batch size 8, no progress bar.
     */
    public static final class Builder {
        private final LanguageModel model;
        private List<Integer> layers;
        private List<Double> strengths;
        private SteeringVector vector;
        private ContrastiveDataset dataset;
        private List<ContinuationItem> continuationItems;
        private List<MultipleChoiceItem> multipleChoiceItems;
        private List<String> neutralTexts;
        private PerplexityBound bound = PerplexityBound.DEFAULT;
        private IntendedDirection direction = IntendedDirection.INCREASE;
        private TokenScope scope = TokenScope.all();
        private int batchSize = 8;
        private boolean progress;

        private Builder(LanguageModel model) {
            this.model = model;
        }

        /** Layers to sweep (0-based, {@code resid_post(L)} convention). */
        public Builder layers(int... ls) {
            List<Integer> list = new ArrayList<>();
            for (int l : ls) {
                list.add(l);
            }
            return layers(list);
        }

        /** Layers to sweep. */
        public Builder layers(List<Integer> ls) {
            this.layers = new ArrayList<>(Objects.requireNonNull(ls, "layers"));
            return this;
        }

        /** Strengths to sweep, e.g. {@code -8, -4, 0, 1, 2, 4, 8}; duplicates are dropped and the rest sorted. */
        public Builder strengths(double... ss) {
            List<Double> list = new ArrayList<>();
            for (double s : ss) {
                list.add(s);
            }
            return strengths(list);
        }

        /** Strengths to sweep. */
        public Builder strengths(List<Double> ss) {
            this.strengths = new ArrayList<>(Objects.requireNonNull(ss, "strengths"));
            return this;
        }

        /** The vector to apply; it needs a direction for every swept layer. */
        public Builder vector(SteeringVector v) {
            this.vector = Objects.requireNonNull(v, "vector");
            return this;
        }

        /** Pairs to compute the vector from (mean difference at the last token, every swept layer in one pass). */
        public Builder dataset(ContrastiveDataset d) {
            this.dataset = Objects.requireNonNull(d, "dataset");
            return this;
        }

        /** Evaluate with prompt / positive / negative continuations. */
        public Builder continuationItems(List<ContinuationItem> items) {
            this.continuationItems = List.copyOf(Objects.requireNonNull(items, "continuation items"));
            return this;
        }

        /** Evaluate with A/B questions (answers like {@code "(A)"}). */
        public Builder multipleChoiceItems(List<MultipleChoiceItem> items) {
            this.multipleChoiceItems = List.copyOf(Objects.requireNonNull(items, "multiple-choice items"));
            return this;
        }

        /** Texts whose perplexity measures the fluency cost of steering (each at least two tokens). */
        public Builder neutralTexts(List<String> texts) {
            this.neutralTexts = new ArrayList<>(Objects.requireNonNull(texts, "neutral texts"));
            return this;
        }

        /** How far perplexity may rise for a cell to be recommended; default +25% relative. */
        public Builder perplexityBound(PerplexityBound b) {
            this.bound = b;
            return this;
        }

        /** Which sign of effect the recommendation looks for; default increase. */
        public Builder direction(IntendedDirection d) {
            this.direction = d;
            return this;
        }

        /** Which tokens are steered; default every token. */
        public Builder scope(TokenScope s) {
            this.scope = s;
            return this;
        }

        /** Sequences per forward pass; default 8. */
        public Builder batchSize(int n) {
            this.batchSize = n;
            return this;
        }

        /** Show a terminal progress bar with ETA (on stderr). */
        public Builder showProgress(boolean show) {
            this.progress = show;
            return this;
        }

        /**
         * Validates the options and tokenizes the evaluation and neutral texts.
         *
         * @throws IllegalArgumentException naming the problem: no vector, empty strengths or evaluation set,
         *                                  a layer out of range or missing from the vector, a non-finite strength,
         *                                  a text that encodes to no tokens or exceeds the context, ...
         */
        public SweepRunner build() {
            return new SweepRunner(this);
        }
    }
}
