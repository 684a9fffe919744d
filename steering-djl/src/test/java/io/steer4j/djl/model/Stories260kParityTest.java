package io.steer4j.djl.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.steer4j.core.hook.HookPoint;
import io.steer4j.djl.RealModels;
import io.steer4j.djl.generation.CancellationToken;
import io.steer4j.djl.generation.GenerationConfig;
import io.steer4j.djl.generation.Generator;
import io.steer4j.djl.generation.TokenListener;
import io.steer4j.djl.hooks.HookSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * steer4j on the real pretrained stories260k (../shared/models/stories260k) against the project's independent
 * float64 Llama reference ({@code src-test-fixtures/python/real_model_parity.py} over {@code reference_llama.py}),
 * run at test time through Debian's python3-torch as {@code .ci/run} installs it.
 *
 * <p>The texts are tokenized by steer4j (BOS included, as the tokenizer defines) and those ids are checked against
 * the script's own llama2.c-style SentencePiece encoder before both sides run them, so the comparison is of the
 * same tokens as the model's own tooling would produce. Skipped, with a warning on stderr, only when the model or
 * a python with torch is absent.
 */
class Stories260kParityTest {
    private static final double TOL = 1e-4;
    /** Several texts, byte-fallback ones (emoji, CJK, accents) among them. */
    private static final List<String> TEXTS = List.of(
            "Once upon a time, there was a little girl named Lily.",
            "Lily was sad because she",
            "The dog ran to the park. He saw a big red ball!\nThen he was happy.",
            "a 😀 b 日本 café naïve",
            "Tom and Sue played in the garden all day. They found a shiny stone under a tree, and Sue said, "
                    + "\"Look, Tom! It is so pretty!\" Tom smiled.");
    private static final List<String> PROMPTS = List.of("Once upon a time", "Lily was sad because", "The dog",
            "Tom and Sue", "One day, a little bird", "The sun was", "Mom said", "Ben wanted to", "Sara had a red");
    private static final int NEW_TOKENS = 32;

    private static Path dir;
    private static LanguageModel model;
    private static JsonNode reference;

    /** Loads the model and runs the reference once; every test calls it so an absence shows as a named skip. */
    private static synchronized void prepare() throws Exception {
        dir = RealModels.require("stories260k");
        if (reference != null) {
            return;
        }
        Path python = Path.of(System.getenv().getOrDefault("STEER4J_PYTHON", "/usr/bin/python3"));
        Path script = findUp("src-test-fixtures/python/real_model_parity.py");
        boolean torch = Files.isExecutable(python)
                && new ProcessBuilder(python.toString(), "-c", "import torch").start().waitFor() == 0;
        if (!torch) {
            System.err.println("WARNING: SKIPPED: " + python + " has no torch (apt-get install python3-torch); "
                    + "stories260k parity needs it");
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(torch, python + " with torch is needed (set STEER4J_PYTHON)");
        model = LanguageModel.load(dir);
        ObjectMapper json = new ObjectMapper();
        ObjectNode request = json.createObjectNode();
        ArrayNode texts = request.putArray("texts");
        for (String t : TEXTS) {
            ObjectNode n = texts.addObject();
            n.put("text", t);
            ArrayNode ids = n.putArray("ids");
            for (long id : model.tokenizer().encode(t)) {
                ids.add(id);
            }
        }
        ArrayNode greedy = request.putArray("greedy");
        for (String p : PROMPTS) {
            ObjectNode n = greedy.addObject();
            n.put("new_tokens", NEW_TOKENS);
            ArrayNode ids = n.putArray("ids");
            for (long id : model.tokenizer().encode(p)) {
                ids.add(id);
            }
        }
        Path in = Files.createTempFile("stories260k-request", ".json");
        Path out = Files.createTempFile("stories260k-reference", ".json");
        try {
            json.writeValue(in.toFile(), request);
            Process p = new ProcessBuilder(python.toString(), script.toString(), dir.toString(), in.toString(),
                    out.toString()).inheritIO().start();
            if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new IllegalStateException("real_model_parity.py failed on " + dir);
            }
            reference = json.readTree(out.toFile());
        } finally {
            Files.deleteIfExists(in);
            Files.deleteIfExists(out);
        }
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
    }

    private static Path findUp(String rel) {
        Path d = Path.of("").toAbsolutePath();
        while (d != null) {
            if (Files.exists(d.resolve(rel))) {
                return d.resolve(rel);
            }
            d = d.getParent();
        }
        throw new IllegalStateException(rel + " not found above the working directory");
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
        for (int i = 0; i < TEXTS.size(); i++) {
            assertArrayEquals(longs(reference.get("texts").get(i).get("reference_ids")),
                    model.tokenizer().encode(TEXTS.get(i)), TEXTS.get(i));
        }
    }

    @Test
    void logitsAndEveryHookPointOfEveryLayerMatchTheReference() throws Exception {
        prepare();
        double worstLogits = 0;
        double worstHooks = 0;
        for (int i = 0; i < TEXTS.size(); i++) {
            JsonNode ref = reference.get("texts").get(i);
            long[] ids = model.tokenizer().encode(TEXTS.get(i));
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
                + "(4 points x %d layers) %.3g%n", TEXTS.size(), worstLogits, model.numLayers(), worstHooks);
    }

    @Test
    void greedyContinuationsOfNinePromptsEqualTheReference() throws Exception {
        prepare();
        List<long[]> prompts = new ArrayList<>();
        for (String p : PROMPTS) {
            prompts.add(model.tokenizer().encode(p));
        }
        GenerationConfig cfg = GenerationConfig.builder().maxNewTokens(NEW_TOKENS).stopAtEos(false).build();
        for (int i = 0; i < PROMPTS.size(); i++) {
            long[] got = new Generator(model).generate(List.of(prompts.get(i)), cfg, HookSet.NONE,
                    TokenListener.NONE, CancellationToken.NEVER).get(0).tokens();
            assertArrayEquals(longs(reference.get("greedy").get(i)), got, PROMPTS.get(i));
        }
        assertEquals(PROMPTS.size(), reference.get("greedy").size());
    }
}
