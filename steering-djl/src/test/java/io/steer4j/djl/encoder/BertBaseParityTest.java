package io.steer4j.djl.encoder;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steer4j.core.plan.HookPoint;
import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.djl.BertBaseUncased;
import io.steer4j.djl.hooks.HookSet;
import io.steer4j.djl.model.EncoderModel;
import io.steer4j.djl.steering.MaskPrediction;
import io.steer4j.djl.steering.SteeredEncoder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Google's BERT-Base uncased, imported from TensorFlow by {@code convert --from tf-bert}, against the float64 numpy
 * reference of src-test-fixtures/python/bert_tf_reference.py, which reads the TensorFlow checkpoint and tokenizes
 * with its own code (golden {@code /goldens/bert-base-uncased.json}).
 */
class BertBaseParityTest {
    private static EncoderModel model;
    private static JsonNode golden;

    @BeforeAll
    static void load() throws Exception {
        model = EncoderModel.load(BertBaseUncased.folder());
        try (InputStream in = BertBaseParityTest.class.getResourceAsStream("/goldens/bert-base-uncased.json")) {
            golden = new ObjectMapper().readTree(in);
        }
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void importedFolderHasTheMaskedLmHeadAndPoolerAndBertBaseShape() {
        assertTrue(model.hasMaskedLmHead());
        assertTrue(model.hasPooler());
        assertEquals(12, model.numLayers());
        assertEquals(768, model.hiddenSize());
        assertEquals(12, model.config().numHeads());
    }

    @Test
    void generatedWordPieceTokenizerGivesTheReferenceIds() {
        for (JsonNode s : golden.get("sentences")) {
            long[] ids = model.tokenizer().encode(s.get("text").asText());
            long[] want = new long[s.get("ids").size()];
            for (int i = 0; i < want.length; i++) {
                want[i] = s.get("ids").get(i).asLong();
            }
            org.junit.jupiter.api.Assertions.assertArrayEquals(want, ids, s.get("text").asText());
        }
    }

    @Test
    void hiddenStatesMatchTheFloat64ReferenceWithin1e4OnAPaddedBatch() {
        List<long[]> rows = new ArrayList<>();
        for (JsonNode s : golden.get("sentences")) {
            long[] ids = new long[s.get("ids").size()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = s.get("ids").get(i).asLong();
            }
            rows.add(ids);
        }
        int t = rows.stream().mapToInt(r -> r.length).max().orElseThrow();
        int d = model.hiddenSize();
        float[][] captured = new float[13][];
        HookSet.Builder hooks = HookSet.builder();
        for (JsonNode l : golden.get("layers")) {
            int hf = l.asInt();
            hooks.add(HookPoint.RESID_POST, hf - 1, (site, x) -> {
                captured[hf] = x.toFloatArray();
                return x;
            });
        }
        try (NDManager m = model.newCallManager()) {
            model.compute(() -> model.forward(m, rows, hooks.build()));
        }
        double maxDiff = 0;
        double maxNormDiff = 0;
        int dims = golden.get("dims").asInt();
        for (JsonNode l : golden.get("layers")) {
            int hf = l.asInt();
            for (int r = 0; r < rows.size(); r++) {
                JsonNode s = golden.get("sentences").get(r);
                for (int i = 0; i < rows.get(r).length; i++) {
                    double norm = 0;
                    for (int k = 0; k < d; k++) {
                        double v = captured[hf][(r * t + i) * d + k];
                        norm += v * v;
                        if (k < dims) {
                            double e = s.get("hidden").get(String.valueOf(hf)).get(i).get(k).asDouble();
                            maxDiff = Math.max(maxDiff, Math.abs(v - e));
                        }
                    }
                    double e = s.get("norms").get(String.valueOf(hf)).get(i).asDouble();
                    maxNormDiff = Math.max(maxNormDiff, Math.abs(Math.sqrt(norm) - e) / e);
                }
            }
        }
        System.out.printf("bert-base-uncased (imported from TF) vs float64 numpy: hidden_states[1,6,12] max |diff|"
                + " %.2e, max relative norm diff %.2e%n", maxDiff, maxNormDiff);
        assertTrue(maxDiff < 1e-4, "max |diff| " + maxDiff);
        assertTrue(maxNormDiff < 1e-5, "norm diff " + maxNormDiff);
    }

    @Test
    void fillMaskGivesParisForTheCapitalOfFranceWithTheReferenceProbabilities() {
        SteeredEncoder enc = SteeredEncoder.of(model);
        for (JsonNode s : golden.get("sentences")) {
            if (s.get("masks").isEmpty()) {
                continue;
            }
            List<List<MaskPrediction>> got = enc.fillMask(s.get("text").asText(), 5, SteeringPlan.NONE);
            JsonNode top = s.get("masks").get(0).get("top");
            for (int k = 0; k < 5; k++) {
                assertEquals(top.get(k).get("token").asText(), got.get(0).get(k).token());
                assertEquals(top.get(k).get("probability").asDouble(), got.get(0).get(k).probability(), 1e-4);
            }
        }
        MaskPrediction paris = enc.fillMask("The capital of France is [MASK].", 1, SteeringPlan.NONE).get(0).get(0);
        assertEquals("paris", paris.token());
        assertEquals(0.42, paris.probability(), 0.01);
    }
}
