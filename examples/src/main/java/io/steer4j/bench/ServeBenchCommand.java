package io.steer4j.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.steer4j.cli.BaseCommand;
import io.steer4j.cli.DeviceOption;
import io.steer4j.core.format.vectorfile.VectorFiles;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.core.vector.VectorMetadata;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.server.SteerServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

/**
 * {@code steer4j bench-serve}: load on {@code steer4j serve}. Starts the server in-process on a free port with a few
 * seeded random vectors, runs every client's request alone (its solo output, time to first token and one client's
 * tokens/s), then all clients at once, each streaming with its own steering (vector, strength, layers, seed), and
 * prints aggregate tokens/s against one client, p50/p99 time to first token, and how many outputs equal their
 * solo output.
 */
@Command(name = "bench-serve", mixinStandardHelpOptions = true,
        description = "Load test of steer4j serve: N concurrent streaming clients with different steering.")
public final class ServeBenchCommand extends BaseCommand {
    private static final ObjectMapper JSON = new ObjectMapper();

    @picocli.CommandLine.Mixin
    DeviceOption deviceOption = new DeviceOption();

    @Option(names = "--model", required = true, description = "model folder or Hugging Face id")
    String model;

    @Option(names = "--clients", defaultValue = "32", description = "concurrent clients (default ${DEFAULT-VALUE})")
    int clients;

    @Option(names = "--max-tokens", defaultValue = "32", description = "tokens per request (default ${DEFAULT-VALUE})")
    int maxTokens;

    @Option(names = "--max-rows", defaultValue = "0", description = "rows decoded together (default: --clients)")
    int maxRows;

    @Option(names = "--prompt", defaultValue = "Once upon a time, there was a little girl named Lily. One day, she",
            description = "the prompt every client sends")
    String prompt;

    @Option(names = "--temperature", defaultValue = "0.8",
            description = "sampling temperature, each client with its own seed; 0 = greedy (default ${DEFAULT-VALUE})")
    double temperature;

    /** One client's result. */
    private record Run(String text, int tokens, double ttftMs, double totalMs) {
    }

    @Override
    protected int run() throws Exception {
        if (clients < 1 || maxTokens < 1) {
            throw usage("--clients and --max-tokens must be >= 1");
        }
        PrintWriter out = out();
        Path vectors = Files.createTempDirectory("steer4j-bench-serve");
        try (LanguageModel lm = LanguageModel.load(model, deviceOption.toDevice(),
                deviceOption.toPrecision(), deviceOption.toSpecialTokens())) {
            for (int v = 0; v < 4; v++) {
                VectorFiles.write(randomVector(lm, 100 + v), vectors.resolve("v" + v + ".safetensors"));
            }
            int rows = maxRows > 0 ? maxRows : clients;
            try (SteerServer server = SteerServer.builder(lm).port(0).vectors(vectors).maxRows(rows)
                    .maxQueued(clients).build().start()) {
                HttpClient http = HttpClient.newBuilder().executor(Executors.newCachedThreadPool()).build();
                List<ObjectNode> bodies = new ArrayList<>();
                for (int i = 0; i < clients; i++) {
                    bodies.add(body(i, lm.numLayers()));
                }
                out.printf("bench-serve: %s (%d layers, hidden %d), %d clients x %d tokens, %d rows, temperature %s, "
                                + "%d CPUs%n", server.options().modelId(), lm.numLayers(), lm.hiddenSize(), clients,
                        maxTokens, rows, temperature, Runtime.getRuntime().availableProcessors());
                out.flush();
                stream(http, server, bodies.get(0)); // warm-up: JIT, engine, first-generation costs
                List<Run> solo = new ArrayList<>();
                long soloStart = System.nanoTime();
                for (ObjectNode b : bodies) {
                    solo.add(stream(http, server, b));
                }
                double soloSeconds = (System.nanoTime() - soloStart) / 1e9;
                int soloTokens = solo.stream().mapToInt(Run::tokens).sum();

                ExecutorService pool = Executors.newFixedThreadPool(clients);
                CountDownLatch go = new CountDownLatch(1);
                List<Future<Run>> futures = new ArrayList<>();
                for (ObjectNode b : bodies) {
                    futures.add(pool.submit(() -> {
                        go.await();
                        return stream(http, server, b);
                    }));
                }
                long start = System.nanoTime();
                go.countDown();
                List<Run> together = new ArrayList<>();
                for (Future<Run> f : futures) {
                    together.add(f.get());
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                pool.shutdown();
                int tokens = together.stream().mapToInt(Run::tokens).sum();
                int same = 0;
                for (int i = 0; i < clients; i++) {
                    if (together.get(i).text().equals(solo.get(i).text())) {
                        same++;
                    }
                }
                double oneClient = soloTokens / soloSeconds;
                double aggregate = tokens / seconds;
                out.printf("one client at a time: %d requests, %d tokens in %.2f s = %.1f tokens/s; TTFT p50 %.1f ms%n",
                        clients, soloTokens, soloSeconds, oneClient, percentile(solo, 50));
                out.printf("%d clients at once:  %d tokens in %.2f s = %.1f tokens/s aggregate (%.2fx one client); "
                                + "TTFT p50 %.1f ms, p99 %.1f ms; peak rows %d%n", clients, tokens, seconds, aggregate,
                        aggregate / oneClient, percentile(together, 50), percentile(together, 99), rows);
                out.printf("outputs equal to their solo output: %d of %d%n", same, clients);
                out.flush();
                return same == clients ? 0 : 1;
            }
        } finally {
            try (Stream<Path> files = Files.list(vectors)) {
                for (Path p : files.toList()) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(vectors);
        }
    }

    /** Client {@code i}'s request: its own vector, strength, layers and seed; half by preset id, half by field. */
    private ObjectNode body(int i, int numLayers) {
        ObjectNode b = JSON.createObjectNode();
        String base = "MODEL";
        b.put("prompt", prompt);
        b.put("max_tokens", maxTokens);
        b.put("temperature", temperature);
        b.put("seed", 1000 + i);
        b.put("stream", true);
        b.putObject("stream_options").put("include_usage", true);
        double strength = ((i % 7) - 3) * 1.5;
        if (i % 2 == 0) {
            b.put("model", base + "+v" + (i % 4) + "@" + strength);
        } else {
            b.put("model", base);
            ObjectNode s = b.putObject("steering");
            ObjectNode v = s.putArray("vectors").addObject();
            v.put("name", "v" + (i % 4));
            v.put("strength", strength);
            v.putArray("layers").add(1 + i % Math.max(1, numLayers - 1));
            s.put("scope", i % 3 == 0 ? "generated" : "all");
        }
        return b;
    }

    private static Run stream(HttpClient http, SteerServer server, ObjectNode template) throws Exception {
        ObjectNode body = template.deepCopy();
        body.put("model", body.get("model").asText().replace("MODEL", server.options().modelId()));
        HttpRequest req = HttpRequest.newBuilder(URI.create(server.baseUrl() + "/completions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                .build();
        long t0 = System.nanoTime();
        HttpResponse<Stream<String>> r = http.send(req, HttpResponse.BodyHandlers.ofLines());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("HTTP " + r.statusCode() + ": " + String.join("\n", r.body().toList()));
        }
        StringBuilder text = new StringBuilder();
        double[] ttft = {-1};
        int[] tokens = {0};
        r.body().forEach(line -> {
            if (!line.startsWith("data: ") || line.equals("data: [DONE]")) {
                return;
            }
            try {
                JsonNode chunk = JSON.readTree(line.substring(6));
                JsonNode choices = chunk.path("choices");
                if (choices.size() > 0) {
                    String t = choices.get(0).path("text").asText("");
                    if (!t.isEmpty() && ttft[0] < 0) {
                        ttft[0] = (System.nanoTime() - t0) / 1e6;
                    }
                    text.append(t);
                }
                if (chunk.has("usage") && chunk.get("usage").isObject()) {
                    tokens[0] = chunk.get("usage").get("completion_tokens").asInt();
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        return new Run(text.toString(), tokens[0], ttft[0], (System.nanoTime() - t0) / 1e6);
    }

    private static double percentile(List<Run> runs, int p) {
        double[] v = runs.stream().mapToDouble(Run::ttftMs).sorted().toArray();
        int idx = (int) Math.ceil(p / 100.0 * v.length) - 1;
        return v[Math.max(0, Math.min(v.length - 1, idx))];
    }

    private static SteeringVector randomVector(LanguageModel lm, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Map<Integer, float[]> dirs = new LinkedHashMap<>();
        for (int layer = 0; layer < lm.numLayers(); layer++) {
            float[] v = new float[lm.hiddenSize()];
            for (int j = 0; j < v.length; j++) {
                v[j] = (float) r.nextGaussian();
            }
            double n = Math.sqrt(Arrays.stream(toDoubles(v)).map(x -> x * x).sum());
            for (int j = 0; j < v.length; j++) {
                v[j] /= (float) n;
            }
            dirs.put(layer, v);
        }
        return new SteeringVector(dirs, new VectorMetadata(lm.modelId(), lm.hiddenSize(), "resid_post",
                VectorMetadata.STEER4J_LAYER_NUMBERING, "random", "", 0, null, Map.of()));
    }

    private static double[] toDoubles(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
