package io.steer4j.djl.gguf;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Merges of a SentencePiece GGUF vocabulary that carries scores but no merges (llama.cpp's converter writes none),
 * derived as transformers' {@code GGUFTokenizerSkeleton} derives them; the expectation is worked by hand from that
 * algorithm.
 */
class GgufTokenizerJsonTest {
    @Test
    void mergesFromScoresFollowTheMergedTokensScoreThenThePartsScores() {
        List<String> tokens = List.of("a", "b", "ab", "c", "abc", "bc");
        List<Double> scores = List.of(0.0, 0.0, -1.0, 0.0, -3.0, -2.0);
        // ab (-1) first, then bc (-2), then abc's two splits (-3): a+bc before ab+c, since a (0) outscores ab (-1)
        List<String> merges = GgufTokenizerJson.mergesFromScores(tokens, scores).stream()
                .map(m -> m[0] + " " + m[1]).toList();
        assertEquals(List.of("a b", "b c", "a bc", "ab c"), merges);
    }
}
