package io.steer4j.djl.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steer4j.core.plan.TokenScope;
import io.steer4j.djl.TinyModels;
import io.steer4j.djl.model.LanguageModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SweepResultTest {
    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    private static LanguageModel model;
    private static SweepResult result;

    @TempDir
    Path dir;

    @BeforeAll
    static void sweepOnce() {
        model = TinyModels.loadGpt2();
        result = SweepRunner.builder(model)
                .vector(SweepFixtures.randomVector(model.numLayers(), model.hiddenSize(), 4.0, 1))
                .strengths(-8, -4, -2, -1, 0, 1, 2, 4, 8)
                .continuationItems(SweepFixtures.ITEMS)
                .neutralTexts(SweepFixtures.NEUTRAL)
                .build().run();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static SweepCell cell(int layer, double strength, double effect, double ppl) {
        return new SweepCell(layer, strength, effect, ppl, Math.abs(strength) / 10, effect, 100);
    }

    private static SweepResult synthetic(List<SweepCell> cells, PerplexityBound bound) {
        return new SweepResult("m", EvalKind.CONTINUATION, 1, 1, List.of(0, 1), List.of(0.0, 2.0, 4.0),
                0, 100, cells, bound, IntendedDirection.INCREASE, TokenScope.all(), null);
    }

    private static BufferedImage readPng(Path png) throws IOException {
        byte[] bytes = Files.readAllBytes(png);
        assertArrayEquals(PNG_SIGNATURE, Arrays.copyOf(bytes, 8), "PNG signature of " + png);
        BufferedImage img = ImageIO.read(png.toFile());
        assertNotNull(img, "ImageIO cannot decode " + png);
        return img;
    }

    @Test
    void csvHasAHeaderAndOneRowPerLayerAndStrength() throws IOException {
        Path csv = dir.resolve("sweep.csv");
        result.writeCsv(csv);
        List<String> lines = Files.readAllLines(csv);
        assertEquals("layer,strength,effect,score,perplexity,perplexity_ratio,perplexity_delta,kl", lines.get(0));
        assertEquals(1 + 3 * 9, lines.size());
        String[] first = lines.get(1).split(",");
        assertEquals(8, first.length);
        assertEquals(0, Integer.parseInt(first[0]));
        assertEquals(-8.0, Double.parseDouble(first[1]));
    }

    @Test
    void jsonHoldsEveryCellTheBaselineAndTheRecommendation() throws IOException {
        Path json = dir.resolve("sweep.json");
        result.writeJson(json);
        JsonNode root = new ObjectMapper().readTree(json.toFile());
        assertEquals(27, root.get("cells").size());
        assertEquals("continuation", root.get("evaluation").asText());
        assertEquals(result.baselinePerplexity(), root.get("unsteered").get("perplexity").asDouble());
        assertEquals(result.recommendation().rule(), root.get("recommendation").get("rule").asText());
        assertEquals(result.recommendation().layer(), root.get("recommendation").get("layer").asInt());
    }

    @Test
    void heatmapIsAValidPngSizedForTheGrid() throws IOException {
        Path png = dir.resolve("heatmap.png");
        result.writeHeatmap(png);
        BufferedImage img = readPng(png);
        assertEquals(Math.max(640, 160 + 80 * 9), img.getWidth());
        assertEquals(Math.max(420, 170 + 44 * 3), img.getHeight());
    }

    @Test
    void theHeatmapTitleOfASmallGridIsNotClipped() throws IOException {
        SweepResult small = synthetic(List.of(cell(0, 0, 0, 100), cell(0, 2, 1.0, 101), cell(0, 4, 3.0, 102),
                cell(1, 0, 0, 100), cell(1, 2, 0.5, 101), cell(1, 4, 1.0, 102)), PerplexityBound.DEFAULT);
        Path png = dir.resolve("small.png");
        small.writeHeatmap(png);
        BufferedImage img = readPng(png);
        // the title is the only ink in the top band; it must end short of both edges
        int minX = img.getWidth();
        int maxX = -1;
        for (int y = 0; y < 30; y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                if ((img.getRGB(x, y) & 0xFFFFFF) != 0xFFFFFF) {
                    minX = Math.min(minX, x);
                    maxX = Math.max(maxX, x);
                }
            }
        }
        assertTrue(maxX > minX, "no title ink found in the top band");
        assertTrue(minX >= 10 && maxX <= img.getWidth() - 11,
                "title spans x " + minX + ".." + maxX + " of a " + img.getWidth() + " px wide chart");
    }

    @Test
    void linePlotsAreAValidPngWithThreePanels() throws IOException {
        Path png = dir.resolve("lines.png");
        result.writeLinePlots(png);
        BufferedImage img = readPng(png);
        assertTrue(img.getWidth() >= 3 * SweepCharts.PANEL_WIDTH, "width " + img.getWidth());
        assertEquals(0, img.getWidth() % 3, "three panels of one width");
        assertEquals(SweepCharts.PANEL_HEIGHT, img.getHeight());
    }

    @Test
    void everyPanelsLegendFitsInsideItEvenForTwentySixEntries() throws IOException {
        List<Integer> layers = new java.util.ArrayList<>();
        List<SweepCell> cells = new java.util.ArrayList<>();
        for (int l = 0; l < 24; l++) {
            layers.add(l);
            for (double st : new double[] {0.0, 2.0, 4.0}) {
                cells.add(cell(l, st, st * l / 10, 100 + st * l));
            }
        }
        SweepResult wide = new SweepResult("m", EvalKind.CONTINUATION, 1, 1, layers, List.of(0.0, 2.0, 4.0),
                0, 100, cells, PerplexityBound.relative(0.25), IntendedDirection.INCREASE, TokenScope.all(), null);
        Path png = dir.resolve("lines-24.png");
        wide.writeLinePlots(png);
        BufferedImage img = readPng(png);
        int panel = img.getWidth() / 3;
        assertTrue(img.getHeight() > SweepCharts.PANEL_HEIGHT, "26 legend entries need a taller panel");
        // A legend cut off at a panel's edge leaves ink in its last columns (the old layout cut "bound +25%").
        for (int p = 0; p < 3; p++) {
            for (int x = (p + 1) * panel - 4; x < (p + 1) * panel; x++) {
                for (int y = 0; y < img.getHeight(); y++) {
                    assertEquals(0xFFFFFF, img.getRGB(x, y) & 0xFFFFFF,
                            "ink at x " + x + ", y " + y + " on the right edge of panel " + p);
                }
            }
        }
    }

    @Test
    void writersLeaveNoTemporaryFilesAndCreateMissingFolders() throws IOException {
        Path out = dir.resolve("a/b");
        result.writeCsv(out.resolve("sweep.csv"));
        result.writeJson(out.resolve("sweep.json"));
        result.writeHeatmap(out.resolve("heatmap.png"));
        result.writeLinePlots(out.resolve("lines.png"));
        try (Stream<Path> files = Files.list(out)) {
            assertEquals(List.of("heatmap.png", "lines.png", "sweep.csv", "sweep.json"),
                    files.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    @Test
    void recommendationOfARealSweepRespectsThePerplexityBound() {
        for (double limit : new double[] {0.0, 0.05, 0.25, 1.0}) {
            PerplexityBound bound = PerplexityBound.relative(limit);
            Recommendation r = result.recommendation(bound, IntendedDirection.INCREASE);
            double max = result.baselinePerplexity() * (1 + limit);
            for (SweepCell c : result.cells()) {
                if (c.strength() != 0 && c.perplexity() <= max && r.isPresent()) {
                    assertTrue(c.effect() <= r.cell().effect(), "cell " + c + " beats the recommendation " + r);
                }
            }
            if (r.isPresent()) {
                assertTrue(r.cell().perplexity() <= max, r.rule());
                assertTrue(r.cell().effect() > 0, r.rule());
            }
        }
    }

    @Test
    void recommendationSkipsALargerEffectThatBreaksTheBound() {
        SweepResult r = synthetic(List.of(cell(0, 0, 0, 100), cell(0, 2, 1.0, 110), cell(0, 4, 3.0, 126),
                cell(1, 0, 0, 100), cell(1, 2, 1.5, 125), cell(1, 4, 2.0, 140)), PerplexityBound.DEFAULT);
        Recommendation rec = r.recommendation();
        assertEquals(1, rec.layer());
        assertEquals(2.0, rec.strength());
        assertTrue(rec.rule().contains("+25% relative to unsteered"), rec.rule());
        assertTrue(rec.rule().contains("layer 1, strength 2"), rec.rule());
        Recommendation loose = r.recommendation(PerplexityBound.absolute(26), IntendedDirection.INCREASE);
        assertEquals(0, loose.layer());
        assertEquals(4.0, loose.strength());
    }

    @Test
    void aRecommendationAtTheEdgeOfTheStrengthGridSaysToWidenIt() {
        SweepResult r = synthetic(List.of(cell(0, 0, 0, 100), cell(0, 2, 1.0, 101), cell(0, 4, 3.0, 102)),
                PerplexityBound.DEFAULT);
        Recommendation rec = r.recommendation();
        assertEquals(4.0, rec.strength());
        assertTrue(rec.rule().contains("4 is the edge of the strength grid, so widen the grid"), rec.rule());
    }

    @Test
    void aRecommendationInsideTheStrengthGridSaysNothingAboutWidening() {
        SweepResult r = synthetic(List.of(cell(0, 0, 0, 100), cell(0, 2, 1.0, 101), cell(0, 4, 3.0, 190)),
                PerplexityBound.DEFAULT);
        Recommendation rec = r.recommendation();
        assertEquals(2.0, rec.strength());
        assertFalse(rec.rule().contains("widen"), rec.rule());
    }

    @Test
    void recommendationForDecreaseTakesTheMostNegativeEffect() {
        SweepResult r = synthetic(List.of(cell(0, -4, -2.0, 110), cell(0, -2, -1.0, 101), cell(0, 0, 0, 100),
                cell(1, 4, 3.0, 100)), PerplexityBound.DEFAULT);
        Recommendation rec = r.recommendation(PerplexityBound.DEFAULT, IntendedDirection.DECREASE);
        assertEquals(-4.0, rec.strength());
        assertTrue(rec.rule().startsWith("largest negative effect"), rec.rule());
    }

    @Test
    void noRecommendationWhenNoCellQualifiesAndTheRuleSaysWhy() {
        SweepResult r = synthetic(List.of(cell(0, 0, 0, 100), cell(0, 2, -1.0, 101), cell(0, 4, 5.0, 200)),
                PerplexityBound.DEFAULT);
        Recommendation rec = r.recommendation();
        assertFalse(rec.isPresent());
        assertTrue(rec.rule().contains("no cell qualifies (1 of 2 steered cells are within"), rec.rule());
    }

    @Test
    void theTableListsEveryCell() {
        String table = result.toTable();
        assertEquals(2 + 27, table.split("\n").length);
        assertTrue(table.contains("perplexity"), table);
    }
}
