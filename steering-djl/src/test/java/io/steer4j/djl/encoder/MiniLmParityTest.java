package io.steer4j.djl.encoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.steer4j.djl.RealModels;
import io.steer4j.djl.hooks.HookSet;
import io.steer4j.djl.model.EncoderModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The BERT forward pass on the real all-MiniLM-L6-v2 against ONNX Runtime running the original ONNX file (an
 * independent implementation of the same network), on a padded batch of sentences of different lengths.
 */
class MiniLmParityTest {
    static final List<String> SENTENCES = List.of(
            "The cat sat on the mat.",
            "A kitten was sitting on the rug.",
            "Quarterly revenue of the semiconductor company rose sharply, beating analysts' expectations.",
            "I loved this movie!",
            "The service at the restaurant was painfully slow and the food arrived cold.",
            "Hi",
            "Photosynthesis converts light energy into chemical energy stored in glucose.",
            "Where is the nearest train station?",
            "The committee will meet on Tuesday to discuss the budget for next year.",
            "She plays the violin beautifully.",
            "Heavy rain is expected across the northern region tonight.",
            "Can you recommend a good book about the history of Rome?",
            "The patient's blood pressure returned to normal after treatment.",
            "Tokenizers split unbelievably long words into wordpieces.",
            "Stock markets fell on fears of rising interest rates.",
            "My grandmother bakes the best apple pie in town.",
            "The algorithm runs in O(n log n) time.",
            "Café au lait, naïve résumé — accents and dashes.",
            "He scored twice in the final minutes of the match.",
            "Please turn off the lights when you leave the room.",
            "The museum's new exhibition features paintings from the 19th century, including several rarely seen"
                    + " works by lesser-known artists.",
            "Dogs are loyal companions.",
            "THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG",
            "Solar panels were installed on the roof last spring.");

    private static EncoderModel model;
    private static OnnxMiniLm onnx;

    @BeforeAll
    static void load() throws Exception {
        model = EncoderModel.load(RealModels.require("all-minilm-l6-v2"));
        onnx = new OnnxMiniLm(2);
    }

    @AfterAll
    static void close() throws Exception {
        if (model != null) {
            model.close();
        }
        if (onnx != null) {
            onnx.close();
        }
    }

    @Test
    void lastHiddenStateMatchesOnnxRuntimeOnPaddedBatchWithin1e4() throws Exception {
        List<long[]> rows = new ArrayList<>();
        for (String s : SENTENCES) {
            rows.add(model.tokenizer().encode(s));
        }
        int t = rows.stream().mapToInt(r -> r.length).max().orElseThrow();
        int shortest = rows.stream().mapToInt(r -> r.length).min().orElseThrow();
        assertTrue(shortest < t / 4, "the batch mixes short and long rows, so padding is exercised");
        float[][][] expected = onnx.lastHiddenState(rows);
        float[] ours;
        try (NDManager m = model.newCallManager()) {
            ours = model.compute(() -> {
                NDArray h = model.forward(m, rows, HookSet.NONE);
                return h.toFloatArray();
            });
        }
        int d = model.hiddenSize();
        double maxDiff = 0;
        double maxAbs = 0;
        for (int r = 0; r < rows.size(); r++) {
            for (int i = 0; i < rows.get(r).length; i++) {
                for (int k = 0; k < d; k++) {
                    float e = expected[r][i][k];
                    maxDiff = Math.max(maxDiff, Math.abs(ours[(r * t + i) * d + k] - e));
                    maxAbs = Math.max(maxAbs, Math.abs(e));
                }
            }
        }
        System.out.printf("all-MiniLM-L6-v2 vs ONNX Runtime: %d sentences, %d..%d tokens, max |diff| %.2e"
                + " (max |value| %.2f)%n", rows.size(), shortest, t, maxDiff, maxAbs);
        assertTrue(maxAbs > 1, "the reference produced real activations");
        assertTrue(maxDiff < 1e-4, "max |diff| " + maxDiff);
    }

    @Test
    void tokenizerAddsClsAndSepAndIgnoresTheFilesFixedPadding() {
        long[] ids = model.tokenizer().encode("Hello world");
        assertEquals(4, ids.length, "[CLS] hello world [SEP], not padded to 128");
        assertEquals(101, ids[0]);
        assertEquals(102, ids[3]);
    }
}
