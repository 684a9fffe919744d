package io.steer4j.djl.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Text in and out with the real tokenizers of {@code ../shared/models}: stories260k's SentencePiece BPE (BOS from its
 * post-processor, byte fallback) and GPT-2's byte-level BPE. Skipped, with a warning on stderr, only when a folder
 * is absent.
 */
class RealTokenizerTest {
    @TempDir
    static Path tmp;
    private static TextTokenizer stories;
    private static TextTokenizer gpt2;
    private static Map<String, Long> storiesVocab;

    @BeforeAll
    static void load() throws Exception {
        Path dir = RealTokenizerFolders.stories260k();
        stories = TextTokenizer.load(dir);
        gpt2 = TextTokenizer.load(RealTokenizerFolders.gpt2(tmp));
        JsonNode vocab = new ObjectMapper().readTree(dir.resolve("tokenizer.json").toFile()).get("model").get("vocab");
        storiesVocab = new HashMap<>();
        vocab.fields().forEachRemaining(e -> storiesVocab.put(e.getKey(), e.getValue().asLong()));
        storiesVocab.put("<s>", 1L);
        storiesVocab.put("</s>", 2L);
    }

    @AfterAll
    static void close() {
        if (stories != null) {
            stories.close();
        }
        if (gpt2 != null) {
            gpt2.close();
        }
    }

    /** Ids of SentencePiece pieces, looked up in tokenizer.json's vocabulary. */
    private static long[] pieces(String... pieces) {
        return Arrays.stream(pieces).mapToLong(p -> {
            Long id = storiesVocab.get(p);
            if (id == null) {
                throw new IllegalArgumentException("no piece " + p);
            }
            return id;
        }).toArray();
    }

    @Test
    void sentencePieceTextStartsWithBosAsTheTokenizerDefines() {
        // The pieces llama2.c's run.c encoder gives (see ../shared/models/stories260k/README.md), BOS first.
        assertArrayEquals(pieces("<s>", "▁Lily", "▁was", "▁sa", "d", "▁be", "c", "a", "u", "se", "▁she"),
                stories.encode("Lily was sad because she"));
        assertArrayEquals(new long[] {1}, stories.specialPrefix());
        assertArrayEquals(new long[0], stories.specialSuffix());
    }

    @Test
    void noSpecialTokensEncodesTheTextAsWritten() {
        try (TextTokenizer raw = TextTokenizer.load(RealTokenizerFolders.stories260k(), SpecialTokens.NONE)) {
            assertArrayEquals(pieces("▁Lily", "▁was"), raw.encode("Lily was"));
            assertArrayEquals(pieces("<s>", "▁Lily", "▁was"), raw.encode("<s>Lily was"),
                    "a BOS written in the text is still read as BOS");
        }
        assertArrayEquals(pieces("▁Lily", "▁was"), stories.encode("Lily was", false));
    }

    @Test
    void tokenizerConfigFlagsOverrideThePostProcessor(@TempDir Path dir) throws Exception {
        Path src = RealTokenizerFolders.stories260k();
        java.nio.file.Files.copy(src.resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
        java.nio.file.Files.writeString(dir.resolve("tokenizer_config.json"), "{\"add_bos_token\": false, "
                + "\"add_eos_token\": true, \"bos_token\": \"<s>\", \"eos_token\": {\"content\": \"</s>\"}}");
        try (TextTokenizer t = TextTokenizer.load(dir)) {
            assertArrayEquals(pieces("▁Lily", "</s>"), t.encode("Lily"));
        }
    }

    @Test
    void gpt2AddsNoSpecialTokensAndEncodesAsOpenAiDid() {
        // Hugging Face's documented example for gpt2.
        assertArrayEquals(new long[] {15496, 11, 616, 3290, 318, 13779}, gpt2.encode("Hello, my dog is cute"));
        assertArrayEquals(new long[0], gpt2.specialPrefix());
        assertArrayEquals(new long[0], gpt2.specialSuffix());
    }

    @Test
    void aSentencePieceContinuationIsTheTokenTheModelSeesAfterThePrompt() {
        ContinuationTokens t = stories.encodeContinuation("Lily was very", " happy");
        assertArrayEquals(pieces("▁happy"), t.continuation(), "one token, not [▁, ▁happy]");
        assertArrayEquals(stories.encode("Lily was very"), t.prompt());
        assertArrayEquals(pieces("▁", "▁happy"), stories.encode(" happy", false),
                "encoded alone, the continuation would get a spurious ▁");
    }

    @Test
    void aContinuationThatFinishesTheWordTakesTheWholeWordToken() {
        ContinuationTokens t = stories.encodeContinuation("Lily was s", "ad");
        assertArrayEquals(stories.encode("Lily was sad"), t.all());
        assertArrayEquals(pieces("▁sa", "d"), t.continuation(), "▁sa straddles the boundary");
        assertArrayEquals(stories.encode("Lily was"), t.prompt());
    }

    @Test
    void anAnswerLetterAfterItsParenthesisIsOneToken() {
        // How sweeps score A/B items: the letter as the model sees it after "(", not "A" encoded alone ([▁, A]).
        assertArrayEquals(pieces("A"), stories.encodeContinuation("Is the sky blue?\n(A) Yes\n(B) No\n(", "A")
                .continuation());
        assertArrayEquals(pieces("▁", "A"), stories.encode("A", false));
    }

    @Test
    void byteFallbackContinuationsSplitAtTheCharacter() {
        ContinuationTokens t = stories.encodeContinuation("a 😀", " b 日本");
        assertArrayEquals(stories.encode("a 😀"), t.prompt());
        assertArrayEquals(stories.encode("a 😀 b 日本"), t.all());
    }

    @Test
    void gpt2ContinuationsAreTokenizedAsBefore() {
        String[][] items = {{"The film was", " wonderful"}, {"I think the weather", " is awful"},
                {"Hello", ", my dog"}, {"It costs $", "42.50"}, {"naïve", " café 😀"}};
        for (String[] it : items) {
            ContinuationTokens t = gpt2.encodeContinuation(it[0], it[1]);
            assertArrayEquals(gpt2.encode(it[0]), t.prompt(), it[0]);
            assertArrayEquals(gpt2.encode(it[1]), t.continuation(), it[1]);
        }
    }

    @Test
    void decodingAfterTheSentencePiecePromptKeepsTheFirstSpace() {
        long[] prompt = stories.encode("Lily was sad because");
        assertEquals(" she", stories.decodeAfter(prompt, pieces("▁she")));
        assertEquals("she", stories.decode(pieces("▁she"), true), "alone, the decoder strips it");
    }

    @Test
    void decodingAfterAPromptCompletesAMultiByteCharacter() {
        long[] all = stories.encode("a 😀", false);
        int cut = all.length - 2; // inside the emoji's four byte tokens
        assertEquals("😀", stories.decodeAfter(Arrays.copyOf(all, cut), Arrays.copyOfRange(all, cut, all.length)));
    }

    @Test
    void sentencePieceRoundTripsThreeHundredTexts() {
        for (String s : texts()) {
            assertEquals(s, stories.decode(stories.encode(s), true), () -> "round trip of '" + s + "'");
        }
    }

    @Test
    void gpt2RoundTripsThreeHundredTexts() {
        for (String s : texts()) {
            assertEquals(s, gpt2.decode(gpt2.encode(s), true), () -> "round trip of '" + s + "'");
        }
    }

    /** 20 hand-picked texts and 300 random ones mixing words, punctuation, digits, whitespace runs and non-ASCII. */
    static List<String> texts() {
        List<String> out = new ArrayList<>(List.of("Hello world", " leading space", "trailing space ",
                "two  spaces and   three", "line one\nline two\n\n", "\ttab\tseparated\t", "It's 3.14, isn't it?!",
                "café naïve résumé über straße", "日本語のテキスト", "中文字符", "emoji 😀🎉👍🏽 done",
                "“curly quotes” and ‘single’ — dash…", "(a) [b] {c} <d> #e $f %g &h *i", "1234567890 + -7 = x^2",
                "Once upon a time, there was a little girl named Lily.", "\n", " ", "a", "Ωμέγα и кириллица",
                "mixed\r\nline endings"));
        String[] pool = {"the", "Lily", "happy", "sad", "dog", "ball", " ", "  ", "   ", "\n", "\t", ",", ".", "!",
                "?", "'", "\"", "-", "(", ")", ":", ";", "0", "7", "42", "3.5", "é", "à", "ñ", "ü", "ç", "日", "本",
                "語", "猫", "😀", "🎉", "👍🏽", "€", "£", "—", "…", "«", "»", "ß", "Ø", "x", "Q", "Z", "wonderful"};
        SplittableRandom r = new SplittableRandom(12);
        for (int i = 0; i < 300; i++) {
            StringBuilder b = new StringBuilder();
            int n = 1 + r.nextInt(12);
            for (int k = 0; k < n; k++) {
                b.append(pool[r.nextInt(pool.length)]);
            }
            out.add(b.toString());
        }
        return out;
    }
}
