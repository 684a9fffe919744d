package io.steer4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steer4j.examples.ExampleDatasets;
import io.steer4j.examples.TinyModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code steer4j sweep} on the real stories260k: defaults that fit the model's family. */
class SweepStoriesTest {
    @Test
    void withoutNeutralTheSweepMeasuresPerplexityOnTheFamilysOwnNeutralTexts(@TempDir Path tmp) throws Exception {
        String dir = TinyModel.requireReal("stories260k").toString();
        Path out = tmp.resolve("out");
        Steer4jCliTest.Run r = Steer4jCliTest.run("sweep", "--model", dir, "--dataset",
                "builtin:stories-sentiment.json", "--layers", "3", "--strengths=0,2", "--eval",
                "builtin:stories-sentiment-eval.json", "--out", out.toString(), "--no-progress");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("Neutral texts for perplexity: builtin:stories-neutral.txt"), r.out());
        JsonNode json = new ObjectMapper().readTree(out.resolve("sweep.json").toFile());
        assertEquals(ExampleDatasets.lines("stories-neutral.txt").size(), json.get("neutralTexts").asInt());
        // stories260k reads TinyStories text at perplexity ~5.7; GPT-2's web-text lines gave 31.8.
        double ppl = json.get("unsteered").get("perplexity").asDouble();
        assertTrue(ppl > 3 && ppl < 10, "unsteered perplexity on the family's neutral texts: " + ppl);
    }
}
