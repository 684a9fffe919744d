package io.steer4j.djl.eval;

import io.steer4j.core.dataset.ContrastiveDataset;
import io.steer4j.core.dataset.MultipleChoiceItem;
import io.steer4j.core.eval.AbChoice;
import io.steer4j.core.eval.ContinuationScore;
import io.steer4j.core.eval.KlDivergence;
import io.steer4j.core.eval.Perplexity;
import io.steer4j.core.plan.HookPoint;
import io.steer4j.core.plan.SteeringStrength;
import io.steer4j.core.plan.TokenScope;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.djl.generation.PromptText;
import io.steer4j.djl.hooks.HookSet;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.steering.SteeringVectorComputer;
import io.steer4j.djl.tokenizer.ContinuationTokens;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
    /** An answer such as {@code "(A)"}, {@code " (B) No"} or {@code "A"}: optional prefix, then one letter. */
    private static final Pattern ANSWER = Pattern.compile("^(\\s*\\(?\\s*)([A-Za-z])(?![A-Za-z]).*", Pattern.DOTALL);

    private final LanguageModel model;
    private final List<Integer> layers;
    private final List<Double> strengths;
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
        this.layers = checkLayers(b.layers, model, givenVector);
        this.strengths = checkStrengths(b.strengths);
        if (givenVector != null) {
            checkAddedNorms(givenVector);
        }
        if (b.continuationItems != null && b.multipleChoiceItems != null) {
            throw new IllegalArgumentException("pass either continuation items or multiple-choice items, not both");
        }
        if (b.continuationItems == null && b.multipleChoiceItems == null) {
            throw new IllegalArgumentException("no evaluation set: pass continuation items or multiple-choice items");
        }
        List<ScoringRows.Row> list = new ArrayList<>();
        if (b.continuationItems != null) {
            if (b.continuationItems.isEmpty()) {
                throw new IllegalArgumentException("the evaluation set is empty: pass at least one continuation item");
            }
            this.kind = EvalKind.CONTINUATION;
            this.itemCount = b.continuationItems.size();
            for (int i = 0; i < itemCount; i++) {
                ContinuationItem it = b.continuationItems.get(i);
                list.add(continuationRow(split(it.prompt(), it.positive(), "eval item " + i + " positive"), true, i));
                list.add(continuationRow(split(it.prompt(), it.negative(), "eval item " + i + " negative"), false, i));
            }
        } else {
            if (b.multipleChoiceItems.isEmpty()) {
                throw new IllegalArgumentException("the evaluation set is empty: pass at least one multiple-choice item");
            }
            this.kind = EvalKind.MULTIPLE_CHOICE;
            this.itemCount = b.multipleChoiceItems.size();
            for (int i = 0; i < itemCount; i++) {
                list.add(abRow(b.multipleChoiceItems.get(i), i));
            }
        }
        this.evalRows = list.size();
        if (b.neutralTexts == null || b.neutralTexts.isEmpty()) {
            throw new IllegalArgumentException("no neutral texts: the perplexity side effect needs at least one");
        }
        this.neutralCount = b.neutralTexts.size();
        for (int i = 0; i < neutralCount; i++) {
            String text = b.neutralTexts.get(i);
            long[] ids = encode(Objects.requireNonNull(text, "neutral text " + i), "neutral text " + i);
            if (ids.length < 2) {
                throw new IllegalArgumentException("neutral text " + i + " has " + ids.length
                        + " token; perplexity needs at least two");
            }
            checkLength(ids.length, "neutral text " + i);
            int[] pos = new int[ids.length - 1];
            long[] tok = new long[ids.length - 1];
            for (int k = 0; k < pos.length; k++) {
                pos[k] = k;
                tok[k] = ids[k + 1];
            }
            list.add(new ScoringRows.Row(ids, 1, pos, tok, -1));
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
        return layers;
    }

    /** The strengths swept, ascending. */
    public List<Double> strengths() {
        return strengths;
    }

    /** Forward passes {@link #run()} will make (excluding vector extraction). */
    public long forwardPasses() {
        long nonZero = strengths.stream().filter(s -> s != 0).count();
        return (long) rows.batchCount() * (1 + layers.size() * nonZero);
    }

    /**
     * Runs the sweep: extracts the vector if a dataset was given, scores the unsteered baseline once, then every
     * (layer, strength) cell in layer-major, strength-ascending order.
     */
    public SweepResult run() {
        SteeringVector vector = givenVector;
        if (vector == null) {
            LOG.info("computing a steering vector for layers {} from '{}' ({} pairs)", layers, dataset.name(),
                    dataset.size());
            vector = SteeringVectorComputer.builder(model).layers(layers).showProgress(progress)
                    .keepActivations(false).build().compute(dataset).vector();
        }
        checkAddedNorms(vector);
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

    private long[] encode(String text, String what) {
        checkChars(text.length(), what);
        long[] ids = model.tokenizer().encode(text);
        if (ids.length == 0) {
            throw new IllegalArgumentException(what + " encodes to no tokens");
        }
        return ids;
    }

    /**
     * Refuses a text longer than could fit the context, before tokenizing: a 50 MB neutral line used to be
     * tokenized for 83 s only to be refused for its token count.
     */
    private void checkChars(long chars, String what) {
        PromptText.checkLength(model, chars, what);
    }

    private void checkLength(int length, String what) {
        int max = model.config().contextLength();
        if (length > max) {
            throw new IllegalArgumentException(what + " has " + length + " tokens, more than the model's context of "
                    + max);
        }
    }

    /**
     * The prompt's and the continuation's tokens as the model sees them in {@code prompt + continuation}.
     *
     * @throws IllegalArgumentException when either part comes to no tokens
     */
    private ContinuationTokens split(String prompt, String continuation, String what) {
        checkChars(prompt.length() + (long) continuation.length(), what + " (prompt + continuation)");
        ContinuationTokens t = model.tokenizer().encodeContinuation(prompt, continuation);
        if (t.prompt().length == 0) {
            throw new IllegalArgumentException(what + ": the prompt encodes to no tokens: '" + prompt + "'");
        }
        if (t.continuation().length == 0) {
            throw new IllegalArgumentException(what + " encodes to no tokens: '" + continuation + "'");
        }
        return t;
    }

    private ScoringRows.Row continuationRow(ContinuationTokens t, boolean withDistribution, int item) {
        long[] p = t.prompt();
        long[] c = t.continuation();
        long[] all = t.all();
        checkLength(all.length, "eval item " + item + " (prompt + continuation)");
        int[] pos = new int[c.length];
        for (int k = 0; k < c.length; k++) {
            pos[k] = p.length - 1 + k;
        }
        return new ScoringRows.Row(all, p.length, pos, c, withDistribution ? p.length - 1 : -1);
    }

    /**
     * The A/B row: the question, a newline and the answers' shared prefix (e.g. {@code "("}), the same text
     * {@link MultipleChoiceItem#toPair()} builds up to the letter; targets are the two letters as next token.
     */
    private ScoringRows.Row abRow(MultipleChoiceItem item, int i) {
        Matcher m = ANSWER.matcher(item.answerMatchingBehavior());
        Matcher n = ANSWER.matcher(item.answerNotMatchingBehavior());
        if (!m.matches() || !n.matches()) {
            throw new IllegalArgumentException("multiple-choice item " + i + ": answers '"
                    + item.answerMatchingBehavior() + "' and '" + item.answerNotMatchingBehavior()
                    + "' must each start with an answer letter such as (A) or (B)");
        }
        if (!m.group(1).equals(n.group(1))) {
            throw new IllegalArgumentException("multiple-choice item " + i + ": answers '"
                    + item.answerMatchingBehavior() + "' and '" + item.answerNotMatchingBehavior()
                    + "' write their letters differently");
        }
        // The letters are scored as the tokens they are after the question and the shared prefix.
        checkChars(item.question().length() + 1L + item.answerMatchingBehavior().length(),
                "multiple-choice item " + i);
        String context = item.question() + "\n" + m.group(1);
        ContinuationTokens ta = model.tokenizer().encodeContinuation(context, m.group(2));
        ContinuationTokens tb = model.tokenizer().encodeContinuation(context, n.group(2));
        long[] a = ta.continuation();
        long[] b = tb.continuation();
        if (a.length != 1 || b.length != 1 || a[0] == b[0] || !Arrays.equals(ta.prompt(), tb.prompt())) {
            throw new IllegalArgumentException("multiple-choice item " + i + ": answer letters '" + m.group(2)
                    + "' and '" + n.group(2) + "' must be two different single tokens after '" + m.group(1) + "'");
        }
        long[] ids = ta.prompt();
        if (ids.length == 0) {
            throw new IllegalArgumentException("multiple-choice item " + i + " question encodes to no tokens");
        }
        checkLength(ids.length, "multiple-choice item " + i);
        int last = ids.length - 1;
        return new ScoringRows.Row(ids, ids.length, new int[] {last, last}, new long[] {a[0], b[0]}, last);
    }

    private static List<Integer> checkLayers(List<Integer> requested, LanguageModel model, SteeringVector vector) {
        List<Integer> ls = requested;
        if (ls == null) {
            ls = vector != null ? List.copyOf(vector.layers())
                    : java.util.stream.IntStream.range(0, model.numLayers()).boxed().toList();
        }
        if (ls.isEmpty()) {
            throw new IllegalArgumentException("no layers given: pass at least one layer to sweep");
        }
        TreeSet<Integer> set = new TreeSet<>();
        for (Integer l : ls) {
            if (l == null) {
                throw new IllegalArgumentException("layer null is out of range: the model has "
                        + model.numLayers() + " layers (0.." + (model.numLayers() - 1) + ")");
            }
            model.checkLayer(l);
            if (vector != null && !vector.hasLayer(l)) {
                throw new IllegalArgumentException("the vector has no direction for layer " + l + "; it has "
                        + vector.layers());
            }
            set.add(l);
        }
        return List.copyOf(set);
    }

    /** Every cell of the grid respects {@link SteeringStrength}'s bound, checked before the first forward pass. */
    private void checkAddedNorms(SteeringVector v) {
        for (int layer : layers) {
            float[] dir = v.direction(layer);
            for (double s : strengths) {
                SteeringStrength.check(s, dir, "layer " + layer);
            }
        }
    }

    private static List<Double> checkStrengths(List<Double> requested) {
        if (requested == null || requested.isEmpty()) {
            throw new IllegalArgumentException("no strengths given: pass at least one strength, e.g. 0, 1, 2, 4, 8");
        }
        TreeSet<Double> set = new TreeSet<>();
        for (Double s : requested) {
            if (s == null || !Double.isFinite(s)) {
                throw new IllegalArgumentException("strength " + s + " is not a finite number");
            }
            set.add(s == 0 ? 0.0 : s);   // -0.0 and 0.0 are one strength
        }
        return List.copyOf(set);
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
