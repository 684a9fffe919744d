package io.steer4j.server;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import io.steer4j.djl.model.LanguageModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * 32 streaming openai-java clients at once on the real stories260k, each with its own steering (vector, strength,
 * layers, scope, seed; half by preset model id, half by the steering field): every streamed output equals the
 * output the same request gets alone. Small on purpose (4 tokens each) so CI stays bounded; {@code steer4j
 * bench-serve} runs the same load with timings.
 */
class ConcurrentStreamsTest {
    private static final int CLIENTS = 32;
    private static final String PROMPT = "Tom went to the park with his dog. He";

    @TempDir
    static Path tmp;
    private static LanguageModel model;
    private static SteerServer server;
    private static OpenAIClient client;

    @BeforeAll
    static void start() throws Exception {
        model = LanguageModel.load(ServedModels.stories260k());
        Path vectors = ServedModels.writeVectors(tmp.resolve("vectors"), model, "v0", "v1", "v2", "v3");
        server = SteerServer.builder(model).port(0).vectors(vectors).maxRows(CLIENTS).maxQueued(CLIENTS).build()
                .start();
        client = OpenAIOkHttpClient.builder().baseUrl(server.baseUrl().toString()).apiKey("unused")
                .maxRetries(0).timeout(Duration.ofMinutes(3)).build();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (model != null) {
            model.close();
        }
    }

    private static CompletionCreateParams request(int i) {
        double strength = ((i % 7) - 3) * 1.5;
        CompletionCreateParams.Builder b = CompletionCreateParams.builder().prompt(PROMPT).maxTokens(4)
                .temperature(0.9).seed(100 + i);
        if (i % 2 == 0) {
            return b.model("stories260k+v" + (i % 4) + "@" + strength).build();
        }
        return b.model("stories260k").putAdditionalBodyProperty("steering", JsonValue.from(Map.of("vectors",
                List.of(Map.of("name", "v" + (i % 4), "strength", strength, "layers", List.of(1 + i % 4))),
                "scope", i % 3 == 0 ? "generated" : "all"))).build();
    }

    private static String streamed(CompletionCreateParams params) {
        StringBuilder text = new StringBuilder();
        try (StreamResponse<Completion> s = client.completions().createStreaming(params)) {
            s.stream().forEach(c -> c.choices().forEach(ch -> text.append(ch.text())));
        }
        return text.toString();
    }

    @Test
    void thirtyTwoDifferentlySteeredStreamsEachGetTheirSoloOutput() {
        assertTimeoutPreemptively(Duration.ofMinutes(4), () -> {
            List<String> solo = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                solo.add(streamed(request(i)));
            }
            ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<String>> together = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                int c = i;
                together.add(pool.submit(() -> {
                    go.await();
                    return streamed(request(c));
                }));
            }
            go.countDown();
            for (int i = 0; i < CLIENTS; i++) {
                assertEquals(solo.get(i), together.get(i).get(3, TimeUnit.MINUTES), "client " + i);
            }
            pool.shutdown();
            assertEquals(0, server.inFlight());
        });
    }
}
