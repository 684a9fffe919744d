package io.steer4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.steer4j.core.format.vectorfile.VectorFiles;
import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.djl.generation.GenerationConfig;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.steering.SteeredModel;
import io.steer4j.examples.TinyModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's serving commands on the real stories260k: {@code compute} a vector into a folder, {@code serve} it,
 * and the README's completion request (preset id {@code stories260k+happy@2}) returns the text the library gives
 * for that vector and strength.
 */
class ServeCommandTest {
    private static final String PROMPT = "Tom went to the park with his dog. He";

    @TempDir
    Path tmp;

    @Test
    void theReadmesServeCommandsAnswerTheReadmesRequest() throws Exception {
        String stories = TinyModel.requireReal("stories260k").toString();
        Path vector = tmp.resolve("vectors/happy.safetensors");
        Steer4jCliTest.Run computed = Steer4jCliTest.run("compute", "--model", stories, "--dataset",
                "src/main/resources/datasets/stories-sentiment.json", "--layers", "3", "--out", vector.toString(),
                "--no-progress");
        assertEquals(0, computed.code(), computed.toString());

        CommandLine cl = Steer4jCli.commandLine();
        StringWriter out = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(new StringWriter(), true));
        int[] code = {-1};
        Thread serving = new Thread(() -> code[0] = cl.execute("serve", "--model", stories, "--port", "0",
                "--vectors", tmp.resolve("vectors").toString()));
        serving.start();
        try {
            Pattern url = Pattern.compile("on (http://127\\.0\\.0\\.1:\\d+/v1)");
            Matcher m = url.matcher("");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!(m = url.matcher(out.toString())).find() && System.nanoTime() < deadline && serving.isAlive()) {
                Thread.sleep(20);
            }
            assertTrue(m.find(0), "no 'serving on' line: " + out);
            assertTrue(out.toString().contains("stories260k+happy@STRENGTH"), out.toString());
            String body = "{\"model\": \"stories260k+happy@2\", \"prompt\": \"" + PROMPT + "\", \"max_tokens\": 20, "
                    + "\"temperature\": 0}";
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(m.group(1)
                    + "/completions")).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            String served = new ObjectMapper().readTree(r.body()).at("/choices/0/text").asText();
            try (LanguageModel lm = LanguageModel.load(Path.of(stories))) {
                SteeredModel library = SteeredModel.of(lm, SteeringPlan.NONE);
                String steered = library.generate(PROMPT, GenerationConfig.greedy(20),
                        SteeringPlan.of(VectorFiles.read(vector), 2.0)).text();
                assertEquals(steered, served);
                assertNotEquals(library.generate(PROMPT, GenerationConfig.greedy(20), SteeringPlan.NONE).text(), served);
            }
        } finally {
            serving.interrupt();
            serving.join(30_000);
        }
    }
}
