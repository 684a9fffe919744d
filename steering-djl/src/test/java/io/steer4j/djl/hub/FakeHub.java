package io.steer4j.djl.hub;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback imitation of the Hugging Face hub's file API: {@code GET /{repo}/resolve/{rev}/{file}} answers with
 * {@code X-Repo-Commit}; "LFS" files are answered with a 302 to a second loopback server (the "CDN", another
 * port, so another origin) carrying {@code X-Linked-Etag} (sha256) and {@code X-Linked-Size}; the CDN honours
 * {@code Range}. Unknown repos get 404, missing files 404 with {@code X-Error-Code: EntryNotFound}, gated repos
 * 401. Every request is recorded.
 */
final class FakeHub implements AutoCloseable {

    /** One recorded request. */
    static final class Request {
        final String server;
        final String path;
        final String authorization;
        final String range;

        Request(String server, String path, String authorization, String range) {
            this.server = server;
            this.path = path;
            this.authorization = authorization;
            this.range = range;
        }

        @Override
        public String toString() {
            return server + " " + path + (range != null ? " " + range : "");
        }
    }

    /** A repository served by the fake hub. */
    static final class Repo {
        final String commit;
        final Map<String, byte[]> files = new LinkedHashMap<>();
        final Set<String> lfs = ConcurrentHashMap.newKeySet();
        /** Files answered with this {@code Location} (a 302) instead of their content. */
        final Map<String, String> redirects = new ConcurrentHashMap<>();
        /** LFS files whose {@code X-Linked-Size} claims this instead of their real size. */
        final Map<String, Long> declaredSizes = new ConcurrentHashMap<>();
        /** Files sent with chunked encoding and no {@code Content-Length}. */
        final Set<String> chunked = ConcurrentHashMap.newKeySet();
        boolean gated;
        /** Files answered with this {@code X-Repo-Commit} instead of the repository's commit. */
        final Map<String, String> commitHeaders = new ConcurrentHashMap<>();
        /** A mirror: LFS files get a non-SHA-256 {@code X-Linked-Etag} ("v1-" + 8 hex of their sha). */
        boolean mirrorEtags;
        /** LFS files served by the hub itself (200 with {@code X-Linked-Etag}, honouring Range), no CDN hop. */
        boolean direct;

        Repo(String commit) {
            this.commit = commit;
        }

        Repo file(String name, byte[] content) {
            files.put(name, content);
            return this;
        }

        Repo lfsFile(String name, byte[] content) {
            lfs.add(name);
            return file(name, content);
        }
    }

    final List<Request> requests = new CopyOnWriteArrayList<>();
    final Map<String, Repo> repos = new ConcurrentHashMap<>();
    /** How many upcoming CDN responses are cut off after half their body. */
    final AtomicInteger truncateCdnResponses = new AtomicInteger();
    /** How many upcoming CDN responses stop sending after half their body, until the hub is closed. */
    final AtomicInteger stallCdnResponses = new AtomicInteger();
    /** How many upcoming CDN responses send one byte every 20 ms. */
    final AtomicInteger trickleCdnResponses = new AtomicInteger();
    /** Pause between 64 KiB chunks of CDN responses, in ms (0: none). */
    volatile int cdnChunkDelayMillis;
    /** Body bytes the CDN managed to hand to its socket. */
    final java.util.concurrent.atomic.AtomicLong cdnBytesSent = new java.util.concurrent.atomic.AtomicLong();

    private final CountDownLatch closed = new CountDownLatch(1);
    private final ExecutorService handlers = Executors.newCachedThreadPool(r -> {
        Thread thread = new Thread(r, "fake-hub");
        thread.setDaemon(true);
        return thread;
    });

    private final HttpServer hub;
    private final HttpServer cdn;
    private final Map<String, byte[]> blobsBySha = new ConcurrentHashMap<>();

    FakeHub() throws IOException {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        hub = HttpServer.create(new InetSocketAddress(loopback, 0), 0);
        cdn = HttpServer.create(new InetSocketAddress(loopback, 0), 0);
        hub.setExecutor(handlers);
        cdn.setExecutor(handlers);
        hub.createContext("/", this::handleHub);
        cdn.createContext("/", this::handleCdn);
        hub.start();
        cdn.start();
    }

    URI endpoint() {
        return URI.create("http://" + hub.getAddress().getAddress().getHostAddress() + ":" + hub.getAddress().getPort());
    }

    /** A resolver builder on this hub and {@code cache}: no retries, no progress bars, {@code extraEnv} added. */
    ModelResolver.Builder resolverBuilder(Path cache, Path home, Map<String, String> extraEnv) {
        Map<String, String> env = new HashMap<>(extraEnv);
        env.put("HF_HUB_CACHE", cache.toString());
        env.put("HF_ENDPOINT", endpoint().toString());
        return ModelResolver.builder().environment(env).userHome(home).maxRetries(0).progressBars(false);
    }

    Repo addRepo(String repoId, String commit) {
        Repo repo = new Repo(commit);
        repos.put(repoId, repo);
        return repo;
    }

    /** A typical small GPT-2 style repository with a 2.5 MiB "LFS" weights file. */
    Repo addGpt2Like(String repoId, String commit) {
        return addRepo(repoId, commit)
                .file("config.json", "{\"model_type\":\"gpt2\",\"n_layer\":2}".getBytes(StandardCharsets.UTF_8))
                .lfsFile("model.safetensors", randomBytes(5 << 19, 7))
                .file("tokenizer.json", "{\"version\":\"1.0\"}".getBytes(StandardCharsets.UTF_8))
                .file("tokenizer_config.json", "{}".getBytes(StandardCharsets.UTF_8));
    }

    long hubRequests() {
        return requests.stream().filter(r -> r.server.equals("hub")).count();
    }

    static byte[] randomBytes(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    static String sha256(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    private void handleHub(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getRawPath();
            record("hub", exchange);
            int resolve = path.indexOf("/resolve/");
            if (resolve < 0) {
                send(exchange, 404, new byte[0]);
                return;
            }
            String repoId = path.substring(1, resolve);
            String rest = path.substring(resolve + "/resolve/".length());
            int slash = rest.indexOf('/');
            String revision = URLDecoder.decode(rest.substring(0, slash), StandardCharsets.UTF_8);
            String file = URLDecoder.decode(rest.substring(slash + 1), StandardCharsets.UTF_8);
            Repo repo = repos.get(repoId);
            if (repo == null) {
                send(exchange, 404, "Repository not found".getBytes(StandardCharsets.UTF_8));
                return;
            }
            if (repo.gated) {
                exchange.getResponseHeaders().add("X-Error-Code", "GatedRepo");
                send(exchange, 401, "Access to this model is restricted".getBytes(StandardCharsets.UTF_8));
                return;
            }
            if (!revision.equals("main") && !revision.equals(repo.commit)) {
                exchange.getResponseHeaders().add("X-Error-Code", "RevisionNotFound");
                send(exchange, 404, new byte[0]);
                return;
            }
            exchange.getResponseHeaders().add("X-Repo-Commit", repo.commitHeaders.getOrDefault(file, repo.commit));
            byte[] content = repo.files.get(file);
            if (content == null) {
                exchange.getResponseHeaders().add("X-Error-Code", "EntryNotFound");
                send(exchange, 404, new byte[0]);
                return;
            }
            if (repo.redirects.containsKey(file)) {
                exchange.getResponseHeaders().add("Location", repo.redirects.get(file));
                send(exchange, 302, new byte[0]);
                return;
            }
            if (repo.chunked.contains(file)) {
                exchange.getResponseHeaders().add("ETag", "\"" + sha256(content).substring(0, 40) + "\"");
                exchange.sendResponseHeaders(200, 0);
                exchange.getResponseBody().write(content);
                return;
            }
            if (repo.lfs.contains(file)) {
                String sha = sha256(content);
                blobsBySha.put(sha, content);
                String etag = repo.mirrorEtags ? "v1-" + sha.substring(0, 8) : sha;
                exchange.getResponseHeaders().add("X-Linked-Etag", "\"" + etag + "\"");
                exchange.getResponseHeaders().add("X-Linked-Size",
                        Long.toString(repo.declaredSizes.getOrDefault(file, (long) content.length)));
                if (repo.direct) {
                    sendRange(exchange, content);
                    return;
                }
                exchange.getResponseHeaders().add("Location", "http://" + cdn.getAddress().getAddress().getHostAddress()
                        + ":" + cdn.getAddress().getPort() + "/blobs/" + sha + "?signature=xyz");
                send(exchange, 302, new byte[0]);
                return;
            }
            exchange.getResponseHeaders().add("ETag", "\"" + sha256(content).substring(0, 40) + "\"");
            send(exchange, 200, content);
        }
    }

    private void handleCdn(HttpExchange exchange) throws IOException {
        try (exchange) {
            record("cdn", exchange);
            String path = exchange.getRequestURI().getPath();
            byte[] content = blobsBySha.get(path.substring(path.lastIndexOf('/') + 1));
            if (content == null) {
                send(exchange, 404, new byte[0]);
                return;
            }
            exchange.getResponseHeaders().add("ETag", "\"s3-md5-like\"");
            sendRange(exchange, content);
        }
    }

    /** Sends {@code content}, or its tail when asked with {@code Range: bytes=N-}, misbehaving as configured. */
    private void sendRange(HttpExchange exchange, byte[] content) throws IOException {
        int from = 0;
        String range = exchange.getRequestHeaders().getFirst("Range");
        if (range != null && range.startsWith("bytes=") && range.endsWith("-")) {
            from = Integer.parseInt(range.substring(6, range.length() - 1));
        }
        int length = content.length - from;
        if (from > 0) {
            exchange.getResponseHeaders().add("Content-Range",
                    "bytes " + from + "-" + (content.length - 1) + "/" + content.length);
        }
        exchange.sendResponseHeaders(from > 0 ? 206 : 200, length);
        OutputStream out = exchange.getResponseBody();
        if (truncateCdnResponses.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            out.write(content, from, length / 2);
            out.flush();
            return; // closing the exchange short of Content-Length drops the connection: the "server died"
        }
        if (stallCdnResponses.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            out.write(content, from, length / 2);
            out.flush();
            try {
                closed.await(); // the connection stays open and silent
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return;
        }
        boolean trickle = trickleCdnResponses.getAndUpdate(n -> Math.max(0, n - 1)) > 0;
        int chunk = trickle ? 1 : 1 << 16;
        int delay = trickle ? 20 : cdnChunkDelayMillis;
        try {
            for (int at = from; at < content.length; at += chunk) {
                int n = Math.min(chunk, content.length - at);
                out.write(content, at, n);
                out.flush();
                cdnBytesSent.addAndGet(n);
                if (delay > 0 && closed.await(delay, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void record(String server, HttpExchange exchange) {
        requests.add(new Request(server, exchange.getRequestURI().getRawPath(),
                exchange.getRequestHeaders().getFirst("Authorization"), exchange.getRequestHeaders().getFirst("Range")));
    }

    private static void send(HttpExchange exchange, int status, byte[] body) throws IOException {
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            exchange.getResponseBody().write(body);
        }
    }

    @Override
    public void close() {
        closed.countDown();
        hub.stop(0);
        cdn.stop(0);
        handlers.shutdownNow();
    }
}
