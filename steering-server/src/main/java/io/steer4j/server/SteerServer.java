package io.steer4j.server;

import io.steer4j.djl.chat.ChatFormat;
import io.steer4j.djl.chat.ChatTemplate;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.steering.SteeredModel;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * An OpenAI-compatible HTTP server over one loaded model, with steering chosen per request (see the package
 * comment for the routes and the request fields). Requests are decoded together by the model's continuous batcher;
 * at most {@code maxRows + maxQueued} are admitted at once, the rest get 429 with {@code Retry-After}.
 *
 * <pre>{@code
 * try (LanguageModel model = LanguageModel.load(Path.of("models/stories260k"));
 *      SteerServer server = SteerServer.builder(model).vectors(Path.of("vectors")).port(8080).build().start()) {
 *     System.out.println("serving on " + server.baseUrl());   // http://127.0.0.1:8080/v1
 *     server.join();
 * }
 * }</pre>
 */
public final class SteerServer implements AutoCloseable {
    /**
     * The server's settings.
     *
     * @param host                 address to bind ({@code 127.0.0.1} unless told otherwise)
     * @param port                 port, 0 for any free one
     * @param modelId              the base model id clients name
     * @param apiKey               Bearer key every {@code /v1} request must send, or null for none
     * @param adminKey             Bearer key of the admin routes (adding or removing vectors), or null: routes off
     * @param maxRows              most requests decoded together
     * @param maxQueued            most requests waiting for a row beyond those; more get 429
     * @param maxBodyBytes         largest request body; larger ones get 413
     * @param maxStreamBufferBytes most bytes queued for a streaming client that does not read; then it is cut off
     * @param idleTimeoutMillis    a connection (or a write to it) idle this long is closed
     */
    public record Options(String host, int port, String modelId, String apiKey, String adminKey, int maxRows,
                          int maxQueued, long maxBodyBytes, long maxStreamBufferBytes, long idleTimeoutMillis) {
        /** Checks the ranges; the message names the option. */
        public Options {
            Objects.requireNonNull(host, "host");
            Objects.requireNonNull(modelId, "modelId");
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be in 0..65535, got " + port);
            }
            if (maxRows < 1 || maxQueued < 0) {
                throw new IllegalArgumentException("maxRows must be >= 1 and maxQueued >= 0, got " + maxRows + ", "
                        + maxQueued);
            }
            if (maxBodyBytes < 1 || maxStreamBufferBytes < 1 || idleTimeoutMillis < 1) {
                throw new IllegalArgumentException("maxBodyBytes, maxStreamBufferBytes and idleTimeoutMillis must be "
                        + "positive");
            }
            if (modelId.contains("+") || modelId.isBlank()) {
                throw new IllegalArgumentException("modelId must be non-blank and without '+' (it starts preset "
                        + "ids), got '" + modelId + "'");
            }
        }
    }

    private final LanguageModel model;
    private final SteeredModel steered;
    private final VectorLibrary vectors;
    private final Options options;
    private final Server server;
    private final OpenAiHandler handler;

    private SteerServer(Builder b) throws IOException {
        this.model = b.model;
        this.options = new Options(b.host, b.port, b.modelId == null ? defaultId(b.model) : b.modelId, b.apiKey,
                b.adminKey, b.maxRows, b.maxQueued, b.maxBodyBytes, b.maxStreamBufferBytes, b.idleTimeoutMillis);
        this.vectors = b.vectorDir == null ? VectorLibrary.empty(model.numLayers(), model.hiddenSize())
                : VectorLibrary.open(b.vectorDir, model.numLayers(), model.hiddenSize());
        this.steered = SteeredModel.builder(model).continuousBatching(options.maxRows()).build();
        Path template = b.chatTemplate;
        Supplier<ChatFormat> chat = template == null ? steered::chatFormat
                : memoize(() -> ChatFormat.of(model, ChatTemplate.fromFile(template, model.folder())));
        this.handler = new OpenAiHandler(new CompletionService(steered, chat),
                new SteeringSelection(options.modelId(), vectors, model.numLayers()), vectors, options.modelId(),
                options);
        QueuedThreadPool threads = new QueuedThreadPool(Math.max(32, options.maxRows() + options.maxQueued() + 16));
        threads.setName("steer4j-http");
        threads.setDaemon(true);
        this.server = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(http));
        connector.setHost(options.host());
        connector.setPort(options.port());
        connector.setIdleTimeout(options.idleTimeoutMillis());
        if (b.socketSendBufferBytes > 0) {
            connector.setAcceptedSendBufferSize(b.socketSendBufferBytes);
        }
        server.addConnector(connector);
        server.setHandler(handler);
    }

    private static String defaultId(LanguageModel model) {
        Path name = model.folder() == null ? null : model.folder().getFileName();
        String id = name == null ? model.modelId() : name.toString();
        return id.replace('+', '-');
    }

    private static <T> Supplier<T> memoize(Supplier<T> s) {
        Object[] cell = new Object[1];
        return () -> {
            synchronized (cell) {
                if (cell[0] == null) {
                    cell[0] = s.get();
                }
                @SuppressWarnings("unchecked") T t = (T) cell[0];
                return t;
            }
        };
    }

    /**
     * @param model the model to serve; it stays the caller's (closing the server does not close it)
     * @return a builder with the defaults: 127.0.0.1, port 8080, 16 rows, 64 queued, 4 MiB bodies
     */
    public static Builder builder(LanguageModel model) {
        return new Builder(model);
    }

    /**
     * Starts listening.
     *
     * @return this
     * @throws IOException when the port cannot be bound
     */
    public SteerServer start() throws IOException {
        try {
            server.start();
        } catch (IOException e) {
            close();
            throw e;
        } catch (Exception e) {
            close();
            throw new IOException("cannot start the server on " + options.host() + ":" + options.port() + ": "
                    + e.getMessage(), e);
        }
        return this;
    }

    /** The port listened on (the chosen one when started with port 0). */
    public int port() {
        return ((ServerConnector) server.getConnectors()[0]).getLocalPort();
    }

    /** The OpenAI base URL clients are given, e.g. {@code http://127.0.0.1:8080/v1}. */
    public URI baseUrl() {
        String host = options.host().contains(":") ? "[" + options.host() + "]" : options.host();
        if (host.equals("0.0.0.0")) {
            host = "127.0.0.1";
        }
        return URI.create("http://" + host + ":" + port() + "/v1");
    }

    /** The settings in force. */
    public Options options() {
        return options;
    }

    /** The vectors served (adding or removing through it is seen by the next request). */
    public VectorLibrary vectors() {
        return vectors;
    }

    /** Requests generating or waiting for a row, now. */
    public int inFlight() {
        return handler.inFlight();
    }

    /** Generations cancelled so far because their client disconnected or stopped reading (for monitoring). */
    public long cancelledGenerations() {
        return handler.cancelled();
    }

    /** Hang-up watches running now: one per non-streamed request while it generates, none when idle. */
    int hangUpWatches() {
        return handler.watching();
    }

    /** Waits until the server stops. */
    public void join() throws InterruptedException {
        server.join();
    }

    /** Stops listening, ends requests in flight and the batcher thread; the model stays open. */
    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception e) {
            // stopping is best effort: the batcher below is closed either way
        } finally {
            steered.close();
        }
    }

    /** Options of a {@link SteerServer}. */
    public static final class Builder {
        private final LanguageModel model;
        private String host = "127.0.0.1";
        private int port = 8080;
        private String modelId;
        private Path vectorDir;
        private Path chatTemplate;
        private String apiKey;
        private String adminKey;
        private int maxRows = 16;
        private int maxQueued = 64;
        private long maxBodyBytes = 4L << 20;
        private long maxStreamBufferBytes = 1L << 20;
        private long idleTimeoutMillis = 30_000;
        private int socketSendBufferBytes;

        private Builder(LanguageModel model) {
            this.model = Objects.requireNonNull(model, "model");
        }

        /** Address to bind; the default 127.0.0.1 serves this machine only. */
        public Builder host(String h) {
            this.host = h;
            return this;
        }

        /** Port; 0 picks a free one ({@link SteerServer#port()} tells which). */
        public Builder port(int p) {
            this.port = p;
            return this;
        }

        /** The base model id (default: the model folder's name). */
        public Builder modelId(String id) {
            this.modelId = id;
            return this;
        }

        /** Folder of vector files served by name (created if missing). */
        public Builder vectors(Path dir) {
            this.vectorDir = dir;
            return this;
        }

        /** A Jinja chat template for {@code /v1/chat/completions}, instead of the model folder's. */
        public Builder chatTemplate(Path file) {
            this.chatTemplate = file;
            return this;
        }

        /** Requires {@code Authorization: Bearer KEY} on every {@code /v1} request. */
        public Builder apiKey(String key) {
            this.apiKey = key;
            return this;
        }

        /** Turns on the admin routes (add or remove vectors), guarded by this key. */
        public Builder adminKey(String key) {
            this.adminKey = key;
            return this;
        }

        /** Most requests decoded together (default 16). */
        public Builder maxRows(int n) {
            this.maxRows = n;
            return this;
        }

        /** Most requests waiting beyond those (default 64); more are answered 429. */
        public Builder maxQueued(int n) {
            this.maxQueued = n;
            return this;
        }

        /** Largest request body (default 4 MiB); larger get 413. */
        public Builder maxBodyBytes(long n) {
            this.maxBodyBytes = n;
            return this;
        }

        /** Most bytes queued for a streaming client that stopped reading (default 1 MiB); then it is cut off. */
        public Builder maxStreamBufferBytes(long n) {
            this.maxStreamBufferBytes = n;
            return this;
        }

        /** Idle time after which a connection, or a write that makes no progress, is closed (default 30 s). */
        public Builder idleTimeoutMillis(long ms) {
            this.idleTimeoutMillis = ms;
            return this;
        }

        /**
         * The kernel send buffer of accepted connections (0: the system's, which grows to megabytes): tests make it
         * small so that a client that stops reading stalls the stream after a few events.
         */
        Builder socketSendBufferBytes(int n) {
            this.socketSendBufferBytes = n;
            return this;
        }

        /**
         * @return the server, not yet listening ({@link SteerServer#start()})
         * @throws IOException              when the vector folder cannot be read
         * @throws IllegalArgumentException naming a bad option or a vector that does not fit the model
         */
        public SteerServer build() throws IOException {
            return new SteerServer(this);
        }
    }
}
