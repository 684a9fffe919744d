package io.steer4j.djl.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steer4j.core.plan.HookPoint;
import io.steer4j.djl.RealModels;
import io.steer4j.djl.generation.CancellationToken;
import io.steer4j.djl.generation.GenerationConfig;
import io.steer4j.djl.generation.Generator;
import io.steer4j.djl.generation.TokenListener;
import io.steer4j.djl.hooks.HookSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * steer4j on the real pretrained stories260k (../shared/models/stories260k) against the project's independent
 * float64 Llama reference ({@code src-test-fixtures/python/real_model_parity.py} over {@code reference_llama.py},
 * written from transformers' LlamaForCausalLM), whose outputs are committed as
 * {@code goldens/stories260k-parity.json.gz} by {@code src-test-fixtures/regenerate-stories260k-golden.sh}. The test
 * reads only that file, so it runs wherever the model is present and never needs PyTorch.
 *
 * <p>The reference tokenized every text itself with llama2.c's SentencePiece encoder (the tokenizer stories260k was
 * trained with), so the first check is that steer4j's tokenizer gives those ids; the forward passes then run the
 * same ids on both sides. The golden records the checkpoint's SHA-256, so a changed model file is reported as such
 * rather than as a numerical difference.
 */
class Stories260kParityTest {
    private static final double TOL = 1e-4;

    private static LanguageModel model;
    private static JsonNode reference;

    private static synchronized void prepare() throws Exception {
        if (reference != null) {
            return;
        }
        Path dir = RealModels.require("stories260k");
        try (InputStream in = new GZIPInputStream(Objects.requireNonNull(
                Stories260kParityTest.class.getResourceAsStream("/goldens/stories260k-parity.json.gz"),
                "goldens/stories260k-parity.json.gz missing from src-test-fixtures"))) {
            reference = new ObjectMapper().readTree(in);
        }
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(dir.resolve("model.safetensors"))) {
            in.transferTo(new DigestOutputStream(OutputStream.nullOutputStream(), sha));
        }
        assertEquals(reference.get("model_safetensors_sha256").asText(), HexFormat.of().formatHex(sha.digest()),
                dir + "/model.safetensors is not the checkpoint the golden was written from: rerun "
                        + "src-test-fixtures/regenerate-stories260k-golden.sh");
        model = LanguageModel.load(dir);
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
    }

    private static long[] longs(JsonNode array) {
        long[] out = new long[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asLong();
        }
        return out;
    }

    private static float[][] matrix(JsonNode rows) {
        float[][] out = new float[rows.size()][];
        for (int t = 0; t < out.length; t++) {
            JsonNode row = rows.get(t);
            out[t] = new float[row.size()];
            for (int i = 0; i < out[t].length; i++) {
                out[t][i] = (float) row.get(i).asDouble();
            }
        }
        return out;
    }

    @Test
    void textsAreTokenizedAsTheIndependentSentencePieceEncoderDoes() throws Exception {
        prepare();
        JsonNode texts = reference.get("texts");
        assertEquals(5, texts.size());
        for (JsonNode t : texts) {
            assertArrayEquals(longs(t.get("reference_ids")), model.tokenizer().encode(t.get("text").asText()),
                    t.get("text").asText());
        }
    }

    @Test
    void logitsAndEveryHookPointOfEveryLayerMatchTheReference() throws Exception {
        prepare();
        double worstLogits = 0;
        double worstHooks = 0;
        int n = reference.get("texts").size();
        for (int i = 0; i < n; i++) {
            JsonNode ref = reference.get("texts").get(i);
            long[] ids = longs(ref.get("reference_ids"));
            HookCapture.Captured got = HookCapture.run(model, ids, List.of(HookPoint.values()));
            double dl = HookCapture.maxAbsDiff(matrix(ref.get("logits")), got.logits(), "logits of text " + i);
            worstLogits = Math.max(worstLogits, dl);
            assertTrue(dl <= TOL, "text " + i + " logits differ by " + dl);
            for (HookPoint p : HookPoint.values()) {
                for (int l = 0; l < model.numLayers(); l++) {
                    double d = HookCapture.maxAbsDiff(matrix(ref.get("hooks").get(p.id()).get(l)),
                            got.activations().get(p)[l], p.id() + " layer " + l + " of text " + i);
                    worstHooks = Math.max(worstHooks, d);
                    assertTrue(d <= TOL, "text " + i + " " + p.id() + " layer " + l + " differs by " + d);
                }
            }
        }
        System.out.printf(Locale.ROOT, "stories260k parity over %d texts: max |logit diff| %.3g, max |hook diff| "
                + "(4 points x %d layers) %.3g%n", n, worstLogits, model.numLayers(), worstHooks);
    }

    @Test
    void greedyContinuationsOfNinePromptsEqualTheReference() throws Exception {
        prepare();
        JsonNode prompts = reference.get("greedy_texts");
        assertEquals(9, prompts.size());
        for (int i = 0; i < prompts.size(); i++) {
            String prompt = prompts.get(i).asText();
            GenerationConfig cfg = GenerationConfig.builder()
                    .maxNewTokens(reference.get("greedy_new_tokens").get(i).asInt()).stopAtEos(false).build();
            long[] got = new Generator(model).generate(List.of(model.tokenizer().encode(prompt)), cfg, HookSet.NONE,
                    TokenListener.NONE, CancellationToken.NEVER).get(0).tokens();
            assertArrayEquals(longs(reference.get("greedy").get(i)), got, prompt);
        }
    }
}
