package io.steer4j.djl.eval;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.Color;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Renders {@link SweepResult}s with XChart (headless, into PNG streams). */
final class SweepCharts {
    private static final Color NEG = new Color(33, 102, 172);
    private static final Color MID = new Color(247, 247, 247);
    private static final Color POS = new Color(178, 24, 43);
    /** Size of one line-plot panel; the PNG holds three side by side. */
    static final int PANEL_WIDTH = 560;
    static final int PANEL_HEIGHT = 480;

    /** Room a legend entry takes beyond its label (line sample, padding, border), and between entries, in pixels. */
    static final int LEGEND_EXTRA_WIDTH = 70;
    static final int LEGEND_LINE_GAP = 10;
    /** Room above and below a legend column (title, axis titles, padding), in pixels. */
    static final int LEGEND_EXTRA_HEIGHT = 120;

    /** Free space left and right of a chart title, in pixels. */
    static final int TITLE_MARGIN = 40;

    private SweepCharts() {
    }

    /** Width of {@code text} in {@code font}, measured headless. */
    static int textWidth(java.awt.Font font, String text) {
        java.awt.Graphics2D g = new java.awt.image.BufferedImage(1, 1, java.awt.image.BufferedImage.TYPE_INT_RGB)
                .createGraphics();
        try {
            return (int) Math.ceil(g.getFontMetrics(font).getStringBounds(text, g).getWidth());
        } finally {
            g.dispose();
        }
    }

    /** Layers on the y axis, strengths on the x axis, colour = effect on a diverging scale centred on 0. */
    static void heatmap(SweepResult r, OutputStream os) throws IOException {
        List<String> xs = new ArrayList<>();
        for (double s : r.strengths()) {
            xs.add(SweepResult.fmt(s));
        }
        List<String> ys = new ArrayList<>();
        for (int l : r.layers()) {
            ys.add(Integer.toString(l));
        }
        List<Number[]> heat = new ArrayList<>();
        double maxAbs = 0;
        for (int yi = 0; yi < r.layers().size(); yi++) {
            for (int xi = 0; xi < r.strengths().size(); xi++) {
                double e = r.cell(r.layers().get(yi), r.strengths().get(xi)).map(SweepCell::effect)
                        .orElse(Double.NaN);
                if (Double.isFinite(e)) {
                    maxAbs = Math.max(maxAbs, Math.abs(e));
                    heat.add(new Number[] {xi, yi, e});
                }
            }
        }
        // A symmetric colour range with a short legend label: |max| rounded up to two significant digits.
        maxAbs = maxAbs == 0 ? 1 : new java.math.BigDecimal(maxAbs)
                .round(new java.math.MathContext(2, java.math.RoundingMode.UP)).doubleValue();
        String title = "Behaviour effect (steered - unsteered): " + r.evalKind().scoreDescription();
        int height = Math.max(420, 170 + 44 * ys.size());
        HeatMapChart chart = new HeatMapChartBuilder().width(640).height(height).title(title)
                .xAxisTitle("strength").yAxisTitle("layer").build();
        // wide enough for the cells and for the title, which XChart clips rather than wraps
        int width = Math.max(Math.max(640, 160 + 80 * xs.size()),
                textWidth(chart.getStyler().getChartTitleFont(), title) + 2 * TITLE_MARGIN);
        chart = new HeatMapChartBuilder().width(width).height(height).title(title)
                .xAxisTitle("strength").yAxisTitle("layer").build();
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setPlotBackgroundColor(Color.WHITE);
        chart.getStyler().setRangeColors(new Color[] {NEG, MID, POS});
        chart.getStyler().setMin(-maxAbs);
        chart.getStyler().setMax(maxAbs);
        chart.getStyler().setShowValue(true);
        chart.getStyler().setHeatMapValueDecimalPattern(maxAbs >= 100 ? "0" : maxAbs >= 1 ? "0.00" : "0.000");
        chart.getStyler().setDrawBorder(true);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        chart.addSeries("effect", xs, ys, heat);
        BitmapEncoder.saveBitmap(chart, os, BitmapEncoder.BitmapFormat.PNG);
    }

    /** Three panels (effect, perplexity, KL against strength), one line per layer. */
    /**
     * Largest magnitude a line plot's axis may span. XChart computes tick labels by stepping through the axis
     * range; with strengths like 1e39 that loop never ends. No sweep worth reading has scores or strengths past
     * this, and the CSV and JSON still hold every value.
     */
    static final double PLOTTABLE_LIMIT = 1e12;

    /** Why the line plots of {@code r} cannot be drawn safely, or {@code null} when they can. */
    static String unplottable(SweepResult r) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (double s : r.strengths()) {
            if (!(Math.abs(s) <= PLOTTABLE_LIMIT)) {
                return "strength " + s + " is beyond the plottable range of +-" + PLOTTABLE_LIMIT;
            }
            lo = Math.min(lo, s);
            hi = Math.max(hi, s);
        }
        if (hi > lo && hi - lo < 1e-9 * Math.max(Math.abs(lo), Math.abs(hi))) {
            return "strengths " + lo + " to " + hi + " differ by less than a billionth of their size";
        }
        for (SweepCell c : r.cells()) {
            for (double v : new double[] {c.effect(), c.perplexity(), c.kl()}) {
                if (Double.isFinite(v) && Math.abs(v) > PLOTTABLE_LIMIT) {
                    return "layer " + c.layer() + ", strength " + c.strength() + " has a score of " + v
                            + ", beyond the plottable range of +-" + PLOTTABLE_LIMIT;
                }
            }
        }
        double base = r.baselinePerplexity();
        if (Double.isFinite(base) && Math.abs(base) > PLOTTABLE_LIMIT) {
            return "the unsteered perplexity " + base + " is beyond the plottable range of +-" + PLOTTABLE_LIMIT;
        }
        return null;
    }

    static void linePlots(SweepResult r, OutputStream os) throws IOException {
        PerplexityBound b = r.perplexityBound();
        String boundLabel = b.kind() == PerplexityBound.Kind.RELATIVE
                ? String.format(Locale.ROOT, "bound +%.0f%%", b.limit() * 100)
                : String.format(Locale.ROOT, "bound +%.3g", b.limit());
        List<String> legend = new ArrayList<>();
        for (int layer : r.layers()) {
            legend.add("layer " + layer);
        }
        legend.add("unsteered");
        legend.add(boundLabel);
        int[] size = panelSize(legend);
        XYChart effect = panel("Behaviour effect", "effect (" + r.evalKind().scoreDescription() + ")", size);
        XYChart ppl = panel("Neutral-text perplexity", "perplexity", size);
        XYChart kl = panel("KL(unsteered || steered)", "KL (nats)", size);
        double[] x = r.strengths().stream().mapToDouble(Double::doubleValue).toArray();
        double pplMin = r.baselinePerplexity();
        double pplMax = r.baselinePerplexity();
        for (int layer : r.layers()) {
            List<SweepCell> cs = r.layer(layer);
            String name = "layer " + layer;
            add(effect, name, x, cs.stream().mapToDouble(SweepCell::effect).toArray());
            double[] p = cs.stream().mapToDouble(SweepCell::perplexity).toArray();
            for (double v : p) {
                if (Double.isFinite(v)) {
                    pplMin = Math.min(pplMin, v);
                    pplMax = Math.max(pplMax, v);
                }
            }
            add(ppl, name, x, p);
            add(kl, name, x, cs.stream().mapToDouble(SweepCell::kl).toArray());
        }
        double bound = r.perplexityBound().maxPerplexity(r.baselinePerplexity());
        reference(ppl, "unsteered", x, r.baselinePerplexity(), Color.GRAY, SeriesLines.DASH_DASH);
        reference(ppl, boundLabel, x, bound, Color.BLACK, SeriesLines.DOT_DOT);
        if (pplMin > 0 && pplMax / pplMin > 20) {
            ppl.getStyler().setYAxisLogarithmic(true);
        }
        BitmapEncoder.saveBitmap(List.of(effect, ppl, kl), 1, 3, os, BitmapEncoder.BitmapFormat.PNG);
    }

    /**
     * Width and height of each panel, so that a legend of {@code entries} fits beside the plot whatever their
     * number: a legend below the plot was cut off past ~7 entries ("bou…" for the perplexity bound), and a sweep of
     * a 24-layer model has 26 entries. The legend is one column to the right; the panel widens by its widest label
     * and grows taller when the column needs it.
     */
    static int[] panelSize(List<String> entries) {
        java.awt.Font font = new XYChartBuilder().build().getStyler().getLegendFont();
        int widest = 0;
        for (String e : entries) {
            widest = Math.max(widest, textWidth(font, e));
        }
        int lineHeight = font.getSize() + LEGEND_LINE_GAP;
        int width = PANEL_WIDTH + widest + LEGEND_EXTRA_WIDTH;
        int height = Math.max(PANEL_HEIGHT, entries.size() * lineHeight + LEGEND_EXTRA_HEIGHT);
        return new int[] {width, height};
    }

    private static XYChart panel(String title, String yTitle, int[] size) {
        XYChart c = new XYChartBuilder().width(size[0]).height(size[1]).title(title).xAxisTitle("strength")
                .yAxisTitle(yTitle).build();
        c.getStyler().setChartBackgroundColor(Color.WHITE);
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        c.getStyler().setLegendLayout(Styler.LegendLayout.Vertical);
        c.getStyler().setMarkerSize(6);
        c.getStyler().setXAxisDecimalPattern("0.##");
        return c;
    }

    private static void add(XYChart c, String name, double[] x, double[] y) {
        double[] yy = y.clone();
        for (int i = 0; i < yy.length; i++) {
            if (!Double.isFinite(yy[i])) {
                yy[i] = Double.NaN;   // XChart leaves a gap
            }
        }
        XYSeries s = c.addSeries(name, x, yy);
        s.setMarker(SeriesMarkers.CIRCLE);
    }

    private static void reference(XYChart c, String name, double[] x, double level, Color color,
                                  java.awt.BasicStroke stroke) {
        double[] y = new double[x.length];
        java.util.Arrays.fill(y, level);
        XYSeries s = c.addSeries(name, x, y);
        s.setMarker(SeriesMarkers.NONE);
        s.setLineColor(color);
        s.setLineStyle(stroke);
    }
}
