package io.steer4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steer4j.djl.model.LanguageModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Requests a client should not send, on the real stories260k: each gets OpenAI's error JSON with the right status
 * (or, for a client that stops reading, is cut off), and the server goes on serving the next request. Raw HTTP
 * here on purpose: the SDKs cannot send malformed JSON or stall their reads.
 */
class BadRequestsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String OK_BODY = "{\"model\":\"stories260k\",\"prompt\":\"Once upon a time\","
            + "\"max_tokens\":8,\"temperature\":0}";

    @TempDir
    static Path tmp;
    private static LanguageModel model;
    private static SteerServer server;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        model = LanguageModel.load(ServedModels.stories260k());
        Path vectors = ServedModels.writeVectors(tmp.resolve("vectors"), model, "happy");
        server = SteerServer.builder(model).port(0).vectors(vectors).maxBodyBytes(1 << 20)
                .maxStreamBufferBytes(8 << 10).idleTimeoutMillis(5_000).adminKey("admin-secret").build().start();
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

    private static HttpResponse<String> post(String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode error(HttpResponse<String> r, int status) throws IOException {
        assertEquals(status, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        JsonNode e = JSON.readTree(r.body()).get("error");
        assertTrue(e.get("message").isTextual() && e.has("type") && e.has("param") && e.has("code"), r.body());
        return e;
    }

    private static void stillServes() throws Exception {
        HttpResponse<String> r = post("/v1/completions", OK_BODY);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(8, JSON.readTree(r.body()).at("/usage/completion_tokens").asInt());
    }

    @Test
    void malformedJsonIsA400NamingWhere() throws Exception {
        JsonNode e = error(post("/v1/completions", "{\"model\": \"stories260k\", \"prompt\": "), 400);
        assertTrue(e.get("message").asText().contains("not valid JSON (line 1"), e.toString());
        assertEquals("invalid_request_error", e.get("type").asText());
        stillServes();
    }

    @Test
    void anUnknownVectorInTheSteeringFieldIsA400OnThatField() throws Exception {
        JsonNode e = error(post("/v1/completions", "{\"model\":\"stories260k\",\"prompt\":\"Hi\",\"steering\":"
                + "{\"vectors\":[{\"name\":\"angry\",\"strength\":2}]}}"), 400);
        assertEquals("steering.vectors[0].name", e.get("param").asText());
        assertTrue(e.get("message").asText().contains("no vector named 'angry'"));
        stillServes();
    }

    @Test
    void aNaNStrengthIsA400OnThatField() throws Exception {
        JsonNode e = error(post("/v1/completions", "{\"model\":\"stories260k\",\"prompt\":\"Hi\",\"steering\":"
                + "{\"vectors\":[{\"name\":\"happy\",\"strength\":NaN}]}}"), 400);
        assertEquals("steering.vectors[0].strength", e.get("param").asText());
        assertTrue(e.get("message").asText().contains("finite"), e.toString());
        stillServes();
    }

    @Test
    void aHugeMaxTokensIsContextLengthExceeded() throws Exception {
        JsonNode e = error(post("/v1/completions", "{\"model\":\"stories260k\",\"prompt\":\"Hi\","
                + "\"max_tokens\":100000000000}"), 400);
        assertEquals("context_length_exceeded", e.get("code").asText());
        assertEquals("max_tokens", e.get("param").asText());
        assertTrue(e.get("message").asText().contains("maximum context length is 512 tokens"), e.toString());
        stillServes();
    }

    @Test
    void aRequestRefusedWhileItGeneratesLeavesNoWatchReadingItsConnection() throws Exception {
        // stories260k has no chat template: the refusal comes from the generation, after the watch started
        HttpResponse<String> r = post("/v1/chat/completions", "{\"model\":\"stories260k\",\"messages\":"
                + "[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":4}");
        error(r, 400);
        assertEquals(0, server.hangUpWatches(),
                "a watch left running reads the first byte of the connection's next request (\"OST\")");
        stillServes();
    }

    @Test
    void anUnknownRouteIsAnOpenAi404() throws Exception {
        JsonNode e = error(post("/v1/embeddings", OK_BODY), 404);
        assertEquals("unknown_url", e.get("code").asText());
    }

    @Test
    void aHundredMegabyteBodyIsRefusedWith413WithoutBeingRead() throws Exception {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            try (Socket s = new Socket("127.0.0.1", server.port())) {
                long size = 100L << 20;
                OutputStream out = s.getOutputStream();
                out.write(("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        + "Content-Length: " + size + "\r\n\r\n{\"prompt\":\"").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                ExecutorService sender = Executors.newSingleThreadExecutor();
                Future<?> sending = sender.submit(() -> {
                    byte[] chunk = new byte[1 << 16];
                    java.util.Arrays.fill(chunk, (byte) 'a');
                    try {
                        for (long sent = 0; sent < size; sent += chunk.length) {
                            out.write(chunk);
                        }
                    } catch (IOException cutOff) {
                        // the server closed the connection after answering: expected
                    }
                    return null;
                });
                String head = new String(s.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
                assertEquals("HTTP/1.1 413", head);
                s.close();
                sending.get(20, TimeUnit.SECONDS);
                sender.shutdownNow();
            }
        });
        stillServes();
    }

    @Test
    void aStreamingClientThatNeverReadsIsCutOffWhileOthersAreServed() throws Exception {
        // Every event echoes the model id: with a 2 KB id and small socket buffers the stream outgrows the
        // kernel's buffers within a few dozen tokens and really stalls.
        String longId = "stories260k-" + "x".repeat(2000);
        try (SteerServer stalled = SteerServer.builder(model).port(0).modelId(longId).maxStreamBufferBytes(8 << 10)
                .socketSendBufferBytes(4096).build().start()) {
            assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
                try (Socket slow = new Socket()) {
                    slow.setReceiveBufferSize(4096);
                    slow.connect(new java.net.InetSocketAddress("127.0.0.1", stalled.port()));
                    String body = "{\"model\":\"" + longId + "\",\"prompt\":\"Once upon a time\",\"stream\":true,"
                            + "\"temperature\":0,\"max_tokens\":200}";
                    slow.getOutputStream().write(("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: "
                            + "application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                            .getBytes(StandardCharsets.US_ASCII));
                    slow.getOutputStream().flush();
                    stillServes(); // on the other server, sharing the model, while this client does not read
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
                    while (stalled.inFlight() > 0 && System.nanoTime() < deadline) {
                        Thread.sleep(20);
                    }
                    assertEquals(0, stalled.inFlight(), "the stalled stream still holds its row");
                    slow.setSoTimeout(10_000);
                    ByteArrayOutputStream got = new ByteArrayOutputStream();
                    try (InputStream in = slow.getInputStream()) {
                        in.transferTo(got);
                    } catch (IOException reset) {
                        // a reset connection is a cut-off too
                    }
                    String text = got.toString(StandardCharsets.UTF_8);
                    assertTrue(text.startsWith("HTTP/1.1 200"), text.substring(0, Math.min(200, text.length())));
                    assertFalse(text.contains("data: [DONE]"), "the stream ran to its end: the test did not stall it");
                }
            });
        }
        stillServes();
    }

    @Test
    void aStreamingClientThatDisconnectsCancelsItsGeneration() throws Exception {
        long before = server.cancelledGenerations();
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            String body = "{\"model\":\"stories260k\",\"prompt\":\"Once upon a time\",\"stream\":true,"
                    + "\"temperature\":1.0,\"seed\":5,\"max_tokens\":480}";
            s.getOutputStream().write(("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: "
                    + "application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                    .getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            String first = new String(s.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
            assertEquals("HTTP/1.1 200", first);
        } // closed after the first bytes: hundreds of tokens are still to come
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while ((server.inFlight() > 0 || server.cancelledGenerations() == before) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(before + 1, server.cancelledGenerations(), "the generation ran on after the client left");
        assertEquals(0, server.inFlight());
        stillServes();
    }

    @Test
    void aRequestThatWaitsLongerThanTheIdleTimeoutIsStillAnswered() throws Exception {
        // 480 tokens take longer than the 1 s idle timeout on the build machines (the batched path decodes stories260k
        // at ~1-3 ms a step when idle, far slower under load), with no byte sent before the answer
        try (SteerServer impatient = SteerServer.builder(model).port(0).idleTimeoutMillis(1000).build().start()) {
            for (boolean stream : new boolean[] {false, true}) {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + impatient.port() + "/v1/completions")).POST(HttpRequest.BodyPublishers.ofString(
                        OK_BODY.replace("\"max_tokens\":8", "\"max_tokens\":480,\"stream\":" + stream))).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, r.statusCode(), r.body());
                assertTrue(stream ? r.body().contains("data: [DONE]") : r.body().contains("\"completion_tokens\""),
                        r.body());
            }
            assertEquals(0, impatient.cancelledGenerations());
        }
    }

    @Test
    void aWaitingClientThatDisconnectsCancelsItsGeneration() throws Exception {
        long before = server.cancelledGenerations();
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            String body = "{\"model\":\"stories260k\",\"prompt\":\"Once upon a time\","
                    + "\"temperature\":1.0,\"seed\":5,\"max_tokens\":480}";
            s.getOutputStream().write(("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: "
                    + "application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                    .getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            long admitted = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (server.inFlight() == 0 && System.nanoTime() < admitted) {
                Thread.sleep(1);
            }
        } // closed while the whole answer is being generated
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while ((server.inFlight() > 0 || server.cancelledGenerations() == before) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(before + 1, server.cancelledGenerations(), "the generation ran on after the client left");
        stillServes();
    }

    @Test
    void aFullServerAnswers429WithRetryAfterAndServesAgainOnceFree() throws Exception {
        try (SteerServer busy = SteerServer.builder(model).port(0).maxRows(1).maxQueued(0).build().start()) {
            ExecutorService first = Executors.newSingleThreadExecutor();
            Future<HttpResponse<String>> long1 = first.submit(() -> HTTP.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + busy.port() + "/v1/completions")).POST(HttpRequest
                    .BodyPublishers.ofString(OK_BODY.replace("\"max_tokens\":8", "\"max_tokens\":300"))).build(),
                    HttpResponse.BodyHandlers.ofString()));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (busy.inFlight() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            HttpResponse<String> refused = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + busy.port() + "/v1/completions")).POST(HttpRequest.BodyPublishers.ofString(OK_BODY)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals("rate_limit_exceeded", error(refused, 429).get("code").asText());
            assertEquals("1", refused.headers().firstValue("Retry-After").orElse(""));
            assertEquals(200, long1.get(60, TimeUnit.SECONDS).statusCode());
            first.shutdown();
            assertEquals(200, HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + busy.port()
                    + "/v1/completions")).POST(HttpRequest.BodyPublishers.ofString(OK_BODY)).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());
        }
    }

    @Test
    void aVectorAddedWithTheAdminKeyIsServedAndRemovedAgain() throws Exception {
        byte[] file = Files.readAllBytes(tmp.resolve("vectors/happy.safetensors"));
        URI uri = URI.create("http://127.0.0.1:" + server.port() + "/admin/vectors/joy?format=safetensors");
        HttpResponse<String> refused = HTTP.send(HttpRequest.newBuilder(uri)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(file)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals("invalid_api_key", error(refused, 401).get("code").asText());
        HttpResponse<String> added = HTTP.send(HttpRequest.newBuilder(uri).header("Authorization",
                "Bearer admin-secret").PUT(HttpRequest.BodyPublishers.ofByteArray(file)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, added.statusCode(), added.body());
        assertEquals(200, post("/v1/completions", OK_BODY.replace("\"stories260k\"", "\"stories260k+joy@2\""))
                .statusCode());
        HttpResponse<String> deleted = HTTP.send(HttpRequest.newBuilder(uri).header("Authorization",
                "Bearer admin-secret").DELETE().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, deleted.statusCode(), deleted.body());
        assertEquals("model_not_found", error(post("/v1/completions",
                OK_BODY.replace("\"stories260k\"", "\"stories260k+joy@2\"")), 404).get("code").asText());
        assertFalse(Files.exists(tmp.resolve("vectors/joy.safetensors")));
    }
}
