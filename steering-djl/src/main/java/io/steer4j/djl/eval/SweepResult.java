package io.steer4j.djl.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.steer4j.core.plan.TokenScope;
import io.steer4j.core.vector.SteeringVector;

import java.io.IOException;
import java.io.OutputStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The outcome of a {@link SweepRunner}: one {@link SweepCell} per (layer, strength), the unsteered baselines, and
 * writers for CSV, JSON and PNG plots. Immutable.
 *
 * <p>{@link #recommendation()} picks the cell with the largest effect in the intended direction among cells whose
 * neutral-text perplexity stays within the bound (default at most +25% over unsteered).
 */
public final class SweepResult {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(SweepResult.class);

    private final String modelId;
    private final EvalKind kind;
    private final int itemCount;
    private final int neutralTextCount;
    private final List<Integer> layers;
    private final List<Double> strengths;
    private final double baselineScore;
    private final double baselinePerplexity;
    private final List<SweepCell> cells;
    private final PerplexityBound bound;
    private final IntendedDirection direction;
    private final TokenScope scope;
    private final SteeringVector vector;

    SweepResult(String modelId, EvalKind kind, int itemCount, int neutralTextCount, List<Integer> layers,
                List<Double> strengths, double baselineScore, double baselinePerplexity, List<SweepCell> cells,
                PerplexityBound bound, IntendedDirection direction, TokenScope scope, SteeringVector vector) {
        this.modelId = modelId;
        this.kind = kind;
        this.itemCount = itemCount;
        this.neutralTextCount = neutralTextCount;
        this.layers = List.copyOf(layers);
        this.strengths = List.copyOf(strengths);
        this.baselineScore = baselineScore;
        this.baselinePerplexity = baselinePerplexity;
        this.cells = List.copyOf(cells);
        this.bound = Objects.requireNonNull(bound);
        this.direction = Objects.requireNonNull(direction);
        this.scope = scope;
        this.vector = vector;
    }

    /**
     * Assembles a result from cells measured elsewhere, for runners that spread a sweep's cells over several
     * processes (each a {@link SweepRunner} over some of the cells of the same inputs) and put them back together.
     *
     * @param modelId            the model's id
     * @param kind               the evaluation that was run
     * @param itemCount          evaluation items
     * @param neutralTextCount   neutral texts
     * @param layers             the layers swept, ascending
     * @param strengths          the strengths swept, ascending
     * @param baselineScore      the unsteered score
     * @param baselinePerplexity the unsteered perplexity of the neutral texts
     * @param cells              one cell per (layer, strength), layer-major, strengths ascending
     * @param bound              the perplexity bound of the recommendation
     * @param direction          the effect's intended direction
     * @param scope              the tokens that were steered
     * @param vector             the vector that was swept
     * @throws IllegalArgumentException if the cells are not exactly layers × strengths in that order
     */
    public static SweepResult of(String modelId, EvalKind kind, int itemCount, int neutralTextCount,
                                 List<Integer> layers, List<Double> strengths, double baselineScore,
                                 double baselinePerplexity, List<SweepCell> cells, PerplexityBound bound,
                                 IntendedDirection direction, TokenScope scope, SteeringVector vector) {
        if (cells.size() != layers.size() * strengths.size()) {
            throw new IllegalArgumentException(layers.size() + " layers x " + strengths.size() + " strengths need "
                    + layers.size() * strengths.size() + " cells, got " + cells.size());
        }
        int k = 0;
        for (int layer : layers) {
            for (double strength : strengths) {
                SweepCell c = cells.get(k++);
                if (c.layer() != layer || Double.compare(c.strength(), strength) != 0) {
                    throw new IllegalArgumentException("cell " + (k - 1) + " is (layer " + c.layer() + ", strength "
                            + c.strength() + "), expected (layer " + layer + ", strength " + strength + ")");
                }
            }
        }
        return new SweepResult(Objects.requireNonNull(modelId, "modelId"), Objects.requireNonNull(kind, "kind"),
                itemCount, neutralTextCount, layers, strengths, baselineScore, baselinePerplexity, cells, bound,
                direction, scope, vector);
    }

    /** Every cell, layer-major, strengths ascending. */
    public List<SweepCell> cells() {
        return cells;
    }

    /** The cell at (layer, strength), if swept. */
    public Optional<SweepCell> cell(int layer, double strength) {
        return cells.stream().filter(c -> c.layer() == layer && c.strength() == strength).findFirst();
    }

    /** The cells of one layer, strengths ascending. */
    public List<SweepCell> layer(int layer) {
        return cells.stream().filter(c -> c.layer() == layer).toList();
    }

    /** The layers swept, ascending. */
    public List<Integer> layers() {
        return layers;
    }

    /** The strengths swept, ascending. */
    public List<Double> strengths() {
        return strengths;
    }

    /** What the score and effect measure. */
    public EvalKind evalKind() {
        return kind;
    }

    /** The unsteered score (see {@link EvalKind}). */
    public double baselineScore() {
        return baselineScore;
    }

    /** The unsteered perplexity of the neutral texts. */
    public double baselinePerplexity() {
        return baselinePerplexity;
    }

    /** The model the sweep ran on. */
    public String modelId() {
        return modelId;
    }

    /** The vector swept (computed from the dataset when one was given). */
    public SteeringVector vector() {
        return vector;
    }

    /** The perplexity bound {@link #recommendation()} applies. */
    public PerplexityBound perplexityBound() {
        return bound;
    }

    /** The direction {@link #recommendation()} looks for. */
    public IntendedDirection direction() {
        return direction;
    }

    /** The recommendation under the sweep's bound and direction. */
    public Recommendation recommendation() {
        return recommendation(bound, direction);
    }

    /**
     * The cell with the largest effect in {@code dir} among cells with a non-zero strength, an effect strictly in
     * {@code dir}, and a perplexity within {@code b}; ties go to the smaller |strength|, then the lower perplexity.
     * The rule text names the rule, the limits and the outcome.
     */
    public Recommendation recommendation(PerplexityBound b, IntendedDirection dir) {
        Objects.requireNonNull(b, "bound");
        Objects.requireNonNull(dir, "direction");
        double maxPpl = b.maxPerplexity(baselinePerplexity);
        String rule = String.format(Locale.ROOT, "largest %s effect (%s) among cells whose neutral-text perplexity"
                        + " rises by at most %s (unsteered %.4g, so <= %.4g)", dir == IntendedDirection.INCREASE
                        ? "positive" : "negative", kind.scoreDescription() + ", steered minus unsteered", b.describe(),
                baselinePerplexity, maxPpl);
        SweepCell best = null;
        int within = 0;
        for (SweepCell c : cells) {
            if (c.strength() == 0 || !b.allows(baselinePerplexity, c.perplexity())) {
                continue;
            }
            within++;
            double gain = dir.sign() * c.effect();
            if (!(gain > 0)) {
                continue;
            }
            if (best == null || better(c, best, dir)) {
                best = c;
            }
        }
        if (best == null) {
            return new Recommendation(null, rule + ": no cell qualifies (" + within + " of "
                    + cells.stream().filter(c -> c.strength() != 0).count() + " steered cells are within the"
                    + " perplexity bound, none moves the behaviour in the intended direction)");
        }
        // the strongest setting swept on that side: a stronger one might still be within the bound
        double edge = best.strength() > 0 ? Collections.max(strengths) : Collections.min(strengths);
        String widen = best.strength() != edge ? "" : String.format(Locale.ROOT, "; %s is the edge of the strength"
                + " grid, so widen the grid beyond it: a stronger setting may still stay within the bound",
                fmt(best.strength()));
        return new Recommendation(best, rule + String.format(Locale.ROOT,
                ": layer %d, strength %s (effect %+.4g, perplexity %.4g = %+.1f%%, KL %.4g)", best.layer(),
                fmt(best.strength()), best.effect(), best.perplexity(), (best.perplexityRatio() - 1) * 100,
                best.kl()) + widen);
    }

    private static boolean better(SweepCell c, SweepCell best, IntendedDirection dir) {
        double gc = dir.sign() * c.effect();
        double gb = dir.sign() * best.effect();
        if (gc != gb) {
            return gc > gb;
        }
        if (Math.abs(c.strength()) != Math.abs(best.strength())) {
            return Math.abs(c.strength()) < Math.abs(best.strength());
        }
        return c.perplexity() < best.perplexity();
    }

    /** A fixed-width text table of every cell plus the baselines, for terminals. */
    public String toTable() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "model %s, %d %s items, %d neutral texts; unsteered score %.4f"
                        + " (%s), unsteered perplexity %.4f%n", modelId, itemCount,
                kind == EvalKind.CONTINUATION ? "continuation" : "A/B", neutralTextCount, baselineScore,
                kind.scoreDescription(), baselinePerplexity));
        sb.append(String.format(Locale.ROOT, "%5s %9s %11s %12s %9s %10s%n", "layer", "strength", "effect",
                "perplexity", "ppl x", "KL"));
        for (SweepCell c : cells) {
            sb.append(String.format(Locale.ROOT, "%5d %9s %+11.4f %12.4f %9.3f %10.5f%n", c.layer(),
                    fmt(c.strength()), c.effect(), c.perplexity(), c.perplexityRatio(), c.kl()));
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return toTable();
    }

    /**
     * Writes {@code layer,strength,effect,score,perplexity,perplexity_ratio,perplexity_delta,kl}, one row per cell,
     * atomically (temp file, then move).
     */
    public void writeCsv(Path file) throws IOException {
        AtomicFiles.write(file, os -> {
            Writer w = new java.io.OutputStreamWriter(os, StandardCharsets.UTF_8);
            w.write("layer,strength,effect,score,perplexity,perplexity_ratio,perplexity_delta,kl\n");
            for (SweepCell c : cells) {
                w.write(c.layer() + "," + c.strength() + "," + c.effect() + "," + c.score() + "," + c.perplexity()
                        + "," + c.perplexityRatio() + "," + c.perplexityDelta() + "," + c.kl() + "\n");
            }
            w.flush();
        });
    }

    /** Writes the cells, baselines, settings and recommendation as JSON (non-finite numbers as null), atomically. */
    public void writeJson(Path file) throws IOException {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("model", modelId);
        root.put("evaluation", kind.name().toLowerCase(Locale.ROOT));
        root.put("score", kind.scoreDescription());
        root.put("items", itemCount);
        root.put("neutralTexts", neutralTextCount);
        root.put("scope", scope == null ? null : scope.toString());
        root.put("hookPoint", vector == null ? null : vector.metadata().hookPoint());
        root.put("layers", layers);
        root.put("strengths", strengths);
        Map<String, Object> base = new LinkedHashMap<>();
        base.put("score", num(baselineScore));
        base.put("perplexity", num(baselinePerplexity));
        root.put("unsteered", base);
        List<Map<String, Object>> cs = new ArrayList<>();
        for (SweepCell c : cells) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("layer", c.layer());
            m.put("strength", c.strength());
            m.put("effect", num(c.effect()));
            m.put("score", num(c.score()));
            m.put("perplexity", num(c.perplexity()));
            m.put("perplexityRatio", num(c.perplexityRatio()));
            m.put("perplexityDelta", num(c.perplexityDelta()));
            m.put("kl", num(c.kl()));
            cs.add(m);
        }
        root.put("cells", cs);
        Recommendation r = recommendation();
        Map<String, Object> rec = new LinkedHashMap<>();
        rec.put("layer", r.isPresent() ? r.layer() : null);
        rec.put("strength", r.isPresent() ? r.strength() : null);
        rec.put("direction", direction.name().toLowerCase(Locale.ROOT));
        rec.put("perplexityBound", bound.describe());
        rec.put("rule", r.rule());
        root.put("recommendation", rec);
        AtomicFiles.write(file, os -> JSON.writeValue(new NonClosing(os), root));
    }

    /**
     * A layer × strength heat map of the effect, as PNG, atomically.
     *
     * @param png the file to write
     * @throws IOException when the file cannot be written
     * @throws IllegalStateException when XChart (an optional dependency of steering-djl) is not on the classpath
     */
    public void writeHeatmap(Path png) throws IOException {
        requireXChart();
        AtomicFiles.write(png, os -> SweepCharts.heatmap(this, os));
    }

    /**
     * Effect, perplexity and KL against strength, one line per layer, side by side in one PNG, atomically.
     *
     * <p>XChart can spend unbounded time laying out the tick labels of an axis spanning extreme values (a strength
     * of 1e39 hung it forever), so a grid whose strengths or finite scores lie outside
     * &plusmn;{@value SweepCharts#PLOTTABLE_LIMIT}, or whose strengths differ by less than a billionth of their size,
     * is not plotted: the method logs a warning naming the value and returns {@code false}, writing nothing.
     *
     * @param png the file to write
     * @return whether the plot was written
     * @throws IOException when the file cannot be written
     * @throws IllegalStateException when XChart (an optional dependency of steering-djl) is not on the classpath
     */
    public boolean writeLinePlots(Path png) throws IOException {
        requireXChart();
        String why = SweepCharts.unplottable(this);
        if (why != null) {
            LOG.warn("Not writing {}: {}", png, why);
            return false;
        }
        AtomicFiles.write(png, os -> SweepCharts.linePlots(this, os));
        return true;
    }

    /** Charts are the only use of XChart, so steering-djl declares it optional: say what to add when it is absent. */
    private static void requireXChart() {
        try {
            Class.forName("org.knowm.xchart.BitmapEncoder", false, SweepResult.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("sweep charts need XChart, an optional dependency of steering-djl: "
                    + "add org.knowm.xchart:xchart:3.8.8 to your project (the JSON report needs nothing more)", e);
        }
    }

    static String fmt(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
    }

    private static Double num(double d) {
        return Double.isFinite(d) ? d : null;
    }

    /** Keeps Jackson from closing the temp-file stream AtomicFiles owns. */
    private static final class NonClosing extends java.io.FilterOutputStream {
        NonClosing(OutputStream out) {
            super(out);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}
