package io.steer4j.djl.generation;

import io.steer4j.djl.TinyModels;
import io.steer4j.djl.hooks.HookSet;
import io.steer4j.djl.model.LanguageModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Streamed text deltas: joined, they are the decoded text, and no delta carries half a character, whatever the
 * token sequence (byte tokens that split multi-byte UTF-8 characters included).
 */
class TextStreamTest {
    private static LanguageModel model;

    @BeforeAll
    static void load() {
        model = TinyModels.loadGpt2();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /** Feeds {@code tokens} one at a time; returns the deltas. */
    private static List<String> stream(long[] tokens) {
        List<String> deltas = new ArrayList<>();
        TextStream s = new TextStream(model, (row, id, delta) -> deltas.add(delta), 0);
        for (int i = 1; i <= tokens.length; i++) {
            s.accept(tokens, i);
        }
        return deltas;
    }

    /**
     * What a stream must have emitted after the last token: the text up to its trailing replacement characters,
     * which may still become a character (a listener cannot take text back).
     */
    private static String settled(String text) {
        int end = text.length();
        while (end > 0 && text.charAt(end - 1) == '\uFFFD') {
            end--;
        }
        return text.substring(0, end);
    }

    @Test
    void deltasOfTextWithMultiByteCharactersJoinToTheText() {
        String text = "naïve café — 東京 😀 ok, über straße";
        long[] ids = model.tokenizer().encode(text);
        List<String> deltas = stream(ids);
        assertEquals(ids.length, deltas.size(), "one call per token");
        assertEquals(text, model.tokenizer().decode(ids, true));
        assertEquals(text, String.join("", deltas));
        assertTrue(deltas.stream().anyMatch(String::isEmpty), "some tokens end inside a character: " + deltas);
        for (String d : deltas) {
            assertFalse(d.contains("\uFFFD"), "a delta holds half a character: " + deltas);
        }
    }

    @Test
    void deltasOfRandomTokenSequencesJoinToTheirText() {
        SplittableRandom r = new SplittableRandom(5);
        int vocab = model.config().vocabSize() - 1; // without <|endoftext|>
        for (int trial = 0; trial < 300; trial++) {
            long[] ids = new long[1 + r.nextInt(40)];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = r.nextInt(vocab); // byte symbols (many start or continue multi-byte characters) and merges
            }
            String expected = settled(model.tokenizer().decode(ids, true));
            assertEquals(expected, String.join("", stream(ids)), "trial " + trial + " " + java.util.Arrays.toString(ids));
        }
    }

    @Test
    void aSampledGenerationStreamsExactlyItsResultText() {
        StringBuilder streamed = new StringBuilder();
        GenerationConfig cfg = GenerationConfig.builder().sample().temperature(1.2).seed(3).maxNewTokens(40)
                .stopAtEos(false).build();
        GenerationResult r = new Generator(model).generate(List.of(model.tokenizer().encode("Hello")), cfg,
                HookSet.NONE, (row, id, delta) -> streamed.append(delta), CancellationToken.NEVER).get(0);
        assertEquals(settled(r.text()), streamed.toString());
        assertFalse(streamed.isEmpty());
    }
}
