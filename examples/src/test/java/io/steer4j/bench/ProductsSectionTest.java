package io.steer4j.bench;

import io.steer4j.djl.model.LanguageModel;
import io.steer4j.examples.TinyModel;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The products section times every libtorch variant on the tiny GPT-2 and reports a usable figure for each. */
class ProductsSectionTest {
    @Test
    void theDecodeStepReadsEachLayersFourMatricesAndTheHead() {
        try (LanguageModel lm = LanguageModel.load(TinyModel.dir())) {
            List<ProductsSection.Matrix> ms = ProductsSection.matrices(lm.config());
            int d = lm.hiddenSize();
            assertEquals(4 * lm.numLayers() + 1, ms.size());
            assertEquals(3L * d, ms.get(0).out());
            assertEquals(d, ms.get(0).in());
            assertEquals(ms.get(2).out(), ms.get(3).in(), "the MLP's down matrix reads what its up matrix wrote");
            assertEquals(lm.config().vocabSize(), ms.get(ms.size() - 1).out());
            long bytes = ms.stream().mapToLong(ProductsSection.Matrix::bytes).sum();
            assertEquals(4L * (lm.numLayers() * (3L * d * d + d * d + 2L * d * lm.config().intermediateSize())
                    + (long) lm.config().vocabSize() * d), bytes);
        }
    }

    @Test
    void everyVariantAtEveryThreadCountGetsAFinitePositiveBandwidth() {
        Map<String, Object> out;
        try (LanguageModel lm = LanguageModel.load(TinyModel.dir())) {
            out = new ProductsSection(lm, 1).run();
        }
        @SuppressWarnings("unchecked")
        Map<String, Map<String, Object>> variants = (Map<String, Map<String, Object>>) out.get("variants");
        assertEquals(6 * ProductsSection.THREADS.length, variants.size(), variants.toString());
        for (Map.Entry<String, Map<String, Object>> e : variants.entrySet()) {
            double gbs = (double) e.getValue().get("gb_per_s");
            double ms = (double) e.getValue().get("ms_per_pass");
            assertTrue(Double.isFinite(gbs) && gbs > 0, e.getKey() + ": " + gbs);
            assertTrue(Double.isFinite(ms) && ms > 0, e.getKey() + ": " + ms);
        }
        assertTrue(variants.containsKey("project path (2)"), variants.keySet().toString());
        assertTrue(variants.containsKey("mv [out,in] (1)"), variants.keySet().toString());
    }

    @Test
    void benchAcceptsTheSectionAndPutsItInTheJsonReport() {
        BenchRun run = BenchRun.of("bench", "--model", TinyModel.dir().toString(),
                    "--runs", "1", "--sections", "products");
        int code = run.code();
        String out = run.out();
        assertEquals(0, code, out);
        assertTrue(out.contains("\"products\""), out);
        assertTrue(out.contains("\"gb_per_s\""), out);
        assertTrue(out.contains("fastest: "), out);
    }
}
