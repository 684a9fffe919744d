package io.steer4j.cli;

import io.steer4j.examples.SteeringDefaults;
import io.steer4j.examples.TinyModel;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code steer4j demo} on a real pretrained model, stories260k (skipped, loudly, when absent): it uses the
 * Llama-family choice measured by a sweep (stories-sentiment.json, layer 3, strength 2) and its steering is visible.
 */
class DemoStoriesTest {
    @Test
    void demoSteersEveryStoryPromptWithTheMeasuredSettings() {
        String dir = TinyModel.requireReal("stories260k").toString();
        Steer4jCliTest.Run r = Steer4jCliTest.run("demo", "--model", dir, "--max-tokens", "24");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("Sentiment vector from 50 pairs at layer 3 (stories-sentiment.json)"), r.out());
        assertTrue(r.out().contains("Steering at layer 3 with strength +/-2:"), r.out());
        for (String p : SteeringDefaults.LLAMA.prompts()) {
            assertTrue(r.out().contains("\"" + p + "\""), p + " missing from\n" + r.out());
        }
        // Rows come in threes per prompt: unsteered, +2, -2; both steered rows must differ from the plain one.
        List<String> rows = r.out().lines().filter(l -> l.startsWith("  ")).map(l -> l.substring(l.indexOf('|')))
                .toList();
        assertEquals(3 * SteeringDefaults.LLAMA.prompts().size(), rows.size(), r.out());
        for (int i = 0; i < rows.size(); i += 3) {
            assertTrue(!rows.get(i).equals(rows.get(i + 1)) && !rows.get(i).equals(rows.get(i + 2)), r.out());
        }
    }
}
