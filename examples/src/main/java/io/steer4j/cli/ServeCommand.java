package io.steer4j.cli;

import io.steer4j.djl.model.LanguageModel;
import io.steer4j.server.SteerServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;

/** {@code steer4j serve}: an OpenAI-compatible HTTP server with steering per request (module steering-server). */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Serve a model over an OpenAI-compatible HTTP API with steering per request.",
                "Routes: POST /v1/chat/completions, POST /v1/completions (streamed or not), GET /v1/models, "
                        + "GET /health. Steer with a preset model id (MODEL+VECTOR@STRENGTH, e.g. "
                        + "stories260k+happy@2) or the request field \"steering\": {\"vectors\": [{\"name\": "
                        + "\"happy\", \"strength\": 2, \"layers\": [3]}], \"scope\": \"generated\"}.",
                "See docs/serving.md."},
        footer = {"", "Example:",
                "  steer4j serve --model ../shared/models/stories260k --port 8080 --vectors vectors",
                "  curl -s localhost:8080/v1/completions -H 'Content-Type: application/json' \\",
                "      -d '{\"model\": \"stories260k+happy@2\", \"prompt\": \"Tom was\", \"max_tokens\": 20}'"})
public final class ServeCommand extends BaseCommand {
    @picocli.CommandLine.Mixin
    DeviceOption deviceOption = new DeviceOption();

    @Option(names = "--model", required = true, paramLabel = "DIR|ID",
            description = "Model folder or Hugging Face id.")
    String model;

    @Option(names = "--port", defaultValue = "8080", paramLabel = "N",
            description = "Port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
    int port;

    @Option(names = "--host", defaultValue = "127.0.0.1", paramLabel = "ADDR",
            description = "Address to bind (default: ${DEFAULT-VALUE}, this machine only; 0.0.0.0 for every "
                    + "interface).")
    String host;

    @Option(names = "--vectors", paramLabel = "DIR",
            description = "Folder of vector files (.safetensors, .gguf) served by file name (created if missing).")
    Path vectors;

    @Option(names = "--model-id", paramLabel = "ID",
            description = "The model id clients name (default: the model folder's name).")
    String modelId;

    @Option(names = "--chat-template", paramLabel = "FILE",
            description = "A Jinja chat template for /v1/chat/completions, for a model without one.")
    Path chatTemplate;

    @Option(names = "--api-key", paramLabel = "KEY",
            description = "Require 'Authorization: Bearer KEY' on /v1 requests (default: $STEER4J_API_KEY, else "
                    + "none).")
    String apiKey;

    @Option(names = "--admin-key", paramLabel = "KEY",
            description = "Turn on PUT/DELETE /admin/vectors/NAME (add or remove vectors while serving), guarded by "
                    + "this key (default: $STEER4J_ADMIN_KEY, else off).")
    String adminKey;

    @Option(names = "--max-rows", defaultValue = "16", paramLabel = "N",
            description = "Most requests decoded together (default: ${DEFAULT-VALUE}).")
    int maxRows;

    @Option(names = "--max-queued", defaultValue = "64", paramLabel = "N",
            description = "Most requests waiting beyond those; more get 429 (default: ${DEFAULT-VALUE}).")
    int maxQueued;

    @Option(names = "--max-body-bytes", defaultValue = "4194304", paramLabel = "N",
            description = "Largest request body; larger get 413 (default: ${DEFAULT-VALUE}).")
    long maxBodyBytes;

    @Override
    protected int run() throws Exception {
        if (chatTemplate != null) {
            requireFile(chatTemplate, "chat template");
        }
        if (vectors != null && Files.exists(vectors) && !Files.isDirectory(vectors)) {
            throw usage("--vectors must be a folder: " + vectors);
        }
        String key = apiKey != null ? apiKey : System.getenv("STEER4J_API_KEY");
        String admin = adminKey != null ? adminKey : System.getenv("STEER4J_ADMIN_KEY");
        SteerServer.Builder b;
        LanguageModel lm = CliSupport.loadModel(model, deviceOption);
        try {
            b = SteerServer.builder(lm).host(host).port(port).vectors(vectors).chatTemplate(chatTemplate)
                    .apiKey(key).adminKey(admin).maxRows(maxRows).maxQueued(maxQueued).maxBodyBytes(maxBodyBytes);
            if (modelId != null) {
                b.modelId(modelId);
            }
            try (SteerServer server = b.build().start()) {
                PrintWriter out = out();
                out.println("steer4j serve: " + server.options().modelId() + " on " + server.baseUrl()
                        + (key == null ? "" : " (API key required)"));
                StringBuilder ids = new StringBuilder(server.options().modelId());
                server.vectors().all().keySet().forEach(n -> ids.append(", ").append(server.options().modelId())
                        .append('+').append(n).append("@STRENGTH"));
                out.println("models: " + ids);
                out.flush();
                Thread hook = new Thread(server::close, "steer4j-serve-shutdown");
                Runtime.getRuntime().addShutdownHook(hook); // Ctrl-C ends requests in flight cleanly
                try {
                    server.join();
                } finally {
                    try {
                        Runtime.getRuntime().removeShutdownHook(hook);
                    } catch (IllegalStateException shuttingDown) {
                        // the hook is running or has run
                    }
                }
            }
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        } finally {
            lm.close();
        }
        return Steer4jCli.EXIT_OK;
    }
}
