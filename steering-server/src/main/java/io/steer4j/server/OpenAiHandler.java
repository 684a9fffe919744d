package io.steer4j.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.steer4j.djl.generation.CancellationToken;
import io.steer4j.djl.generation.GenerationCancelledException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The HTTP routes: {@code POST /v1/completions}, {@code POST /v1/chat/completions}, {@code GET /v1/models},
 * {@code GET /health}, and the admin routes {@code PUT|DELETE /admin/vectors/NAME}. Every refusal is OpenAI's error
 * JSON. A request runs on the Jetty thread that received it (it waits for its row of the batch); a streamed one
 * writes its events without blocking the batcher ({@link SseStream}).
 */
final class OpenAiHandler extends Handler.Abstract {
    private static final Logger LOG = LoggerFactory.getLogger(OpenAiHandler.class);

    private final CompletionService service;
    private final SteeringSelection steering;
    private final VectorLibrary vectors;
    private final String baseId;
    private final SteerServer.Options options;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final java.util.concurrent.atomic.AtomicLong cancelled = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicInteger watching = new java.util.concurrent.atomic.AtomicInteger();
    private final long startedAt = System.currentTimeMillis() / 1000;
    /** Polls the connections of whole-answer requests for a client that hung up (see {@link HangUpWatch}). */
    private final java.util.concurrent.ScheduledExecutorService watcher =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "steer4j-hangup-watch");
                t.setDaemon(true);
                return t;
            });

    OpenAiHandler(CompletionService service, SteeringSelection steering, VectorLibrary vectors, String baseId,
                  SteerServer.Options options) {
        this.service = service;
        this.steering = steering;
        this.vectors = vectors;
        this.baseId = baseId;
        this.options = options;
    }

    @Override
    protected void doStop() throws Exception {
        watcher.shutdownNow();
        super.doStop();
    }

    /** Requests generating or waiting for a row. */
    int inFlight() {
        return inFlight.get();
    }

    /** Generations cancelled because their client went away or stopped reading. */
    long cancelled() {
        return cancelled.get();
    }

    /** Hang-up watches running now (one per non-streamed request while it generates). */
    int watching() {
        return watching.get();
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String path = Request.getPathInContext(request);
        String method = request.getMethod();
        try {
            if (path.equals("/health")) {
                requireMethod(method, "GET");
                writeJson(response, callback, 200, "{\"status\":\"ok\"}");
            } else if (path.startsWith("/v1/")) {
                checkKey(request, options.apiKey(), "API key");
                route(request, response, callback, path, method);
            } else if (path.startsWith("/admin/vectors/")) {
                if (options.adminKey() == null) {
                    throw new OpenAiException(403, "permission_error", null, "admin_disabled",
                            "the admin routes are off: start the server with an admin key");
                }
                checkKey(request, options.adminKey(), "admin key");
                admin(request, response, callback, path.substring("/admin/vectors/".length()), method);
            } else {
                throw unknownUrl(method, path);
            }
        } catch (OpenAiException e) {
            writeError(response, callback, e);
        } catch (RuntimeException e) {
            LOG.warn("request {} {} failed", method, path, e);
            writeError(response, callback, new OpenAiException(500, "server_error", null, null,
                    "the server failed: " + e.getClass().getSimpleName()));
        }
        return true;
    }

    private void route(Request request, Response response, Callback callback, String path, String method) {
        switch (path) {
            case "/v1/models" -> {
                requireMethod(method, "GET");
                writeJson(response, callback, 200, OpenAiJson.models(baseId, modelIds(), startedAt).toString());
            }
            case "/v1/completions", "/v1/chat/completions" -> {
                requireMethod(method, "POST");
                complete(request, response, callback, path.equals("/v1/chat/completions"));
            }
            default -> {
                if (path.startsWith("/v1/models/") && method.equals("GET")) {
                    String id = path.substring("/v1/models/".length());
                    steering.fromModelId(id); // 404 unless it is served
                    writeJson(response, callback, 200, OpenAiJson.models(baseId, List.of(id), startedAt)
                            .get("data").get(0).toString());
                    return;
                }
                throw unknownUrl(method, path);
            }
        }
    }

    private List<String> modelIds() {
        List<String> ids = new ArrayList<>();
        ids.add(baseId);
        for (String name : vectors.all().keySet()) {
            ids.add(baseId + "+" + name);
        }
        return ids;
    }

    private void complete(Request request, Response response, Callback callback, boolean chat) {
        JsonNode body;
        try {
            body = OpenAiJson.MAPPER.readTree(readBody(request));
        } catch (JsonProcessingException e) {
            throw OpenAiException.invalid(null, "the request body is not valid JSON (line "
                    + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")");
        } catch (IOException e) {
            throw OpenAiException.invalid(null, "cannot read the request body: " + e.getMessage());
        }
        if (body == null) {
            throw OpenAiException.invalid(null, "the request body is empty; send a JSON object");
        }
        CompletionRequest req = CompletionRequest.parse(body, chat, steering);
        int limit = options.maxRows() + options.maxQueued();
        if (inFlight.incrementAndGet() > limit) {
            inFlight.decrementAndGet();
            response.getHeaders().put(HttpHeader.RETRY_AFTER, "1");
            throw new OpenAiException(429, "requests", null, "rate_limit_exceeded", "the server is busy ("
                    + limit + " requests generating or queued); retry after 1 second");
        }
        CancellationToken cancel = new CancellationToken();
        request.addFailureListener(x -> cancel.cancel()); // the client went away: free its row at once
        // A request may wait longer than the idle timeout for its row or its first token without being at fault:
        // the connection's timeout is off while it generates (a stalled reader is cut off by SseStream's cap) and
        // back on for the last writes.
        org.eclipse.jetty.io.EndPoint endPoint = request.getConnectionMetaData().getConnection().getEndPoint();
        long idleTimeout = endPoint.getIdleTimeout();
        endPoint.setIdleTimeout(0);
        String id = (chat ? "chatcmpl-" : "cmpl-") + UUID.randomUUID().toString().replace("-", "");
        long created = System.currentTimeMillis() / 1000;
        if (req.stream()) {
            stream(req, response, callback, cancel, id, created, () -> endPoint.setIdleTimeout(idleTimeout));
            return;
        }
        HangUpWatch watch = HangUpWatch.start(watcher, endPoint, cancel);
        watching.incrementAndGet();
        CompletionService.Completion c = null;
        GenerationCancelledException cancelledBy = null;
        try {
            c = service.run(req, t -> { }, cancel);
        } catch (GenerationCancelledException e) {
            cancelledBy = e;
        } finally {
            // Stopped on every way out, refusals included, and before the answer or the failure is sent: a watch
            // left running reads the first byte of the connection's next request (a client reusing the connection
            // saw "OST is not allowed here").
            boolean readAhead = watch.stop();
            watching.decrementAndGet();
            inFlight.decrementAndGet();
            endPoint.setIdleTimeout(idleTimeout);
            if (readAhead) { // it read a byte of a pipelined request: the answer (or refusal) closes the connection
                response.getHeaders().put(HttpHeader.CONNECTION, "close");
            }
        }
        if (cancelledBy != null) {
            cancelled.incrementAndGet();
            callback.failed(cancelledBy);
            return;
        }
        writeJson(response, callback, 200, OpenAiJson.completion(chat, id, created, req.model(), c.text(),
                c.finishReason(), c.promptTokens(), c.completionTokens()).toString());
    }

    private void stream(CompletionRequest req, Response response, Callback callback, CancellationToken cancel,
                        String id, long created, Runnable generated) {
        boolean chat = req.chat();
        startEvents(response);
        SseStream sse = new SseStream(response, options.maxStreamBufferBytes(), cancel::cancel);
        boolean[] first = {true};
        CompletionService.Completion c;
        try {
            c = service.run(req, text -> {
                sse.send(OpenAiJson.chunk(chat, id, created, req.model(), text, first[0], null, req.includeUsage())
                        .toString());
                first[0] = false;
            }, cancel);
        } catch (OpenAiException e) {
            generated.run();
            // nothing was sent yet (refusals come before generation): a plain error answer
            inFlight.decrementAndGet();
            writeError(response, callback, e);
            return;
        } catch (GenerationCancelledException e) {
            // the client is gone or stalled: failing the callback closes the connection (and any pending write)
            generated.run();
            inFlight.decrementAndGet();
            cancelled.incrementAndGet();
            sse.abort(e);
            callback.failed(e);
            return;
        } catch (RuntimeException e) {
            generated.run();
            inFlight.decrementAndGet();
            LOG.warn("streamed generation failed", e);
            sse.send(OpenAiJson.error(new OpenAiException(500, "server_error", null, null,
                    "generation failed: " + e.getClass().getSimpleName())).toString());
            sse.send("[DONE]");
            sse.end();
            sse.done().whenComplete((v, x) -> complete(callback, x));
            return;
        }
        generated.run();
        inFlight.decrementAndGet();
        if (first[0]) { // a stream that released no text still opens with the role (chat) / an empty text
            sse.send(OpenAiJson.chunk(chat, id, created, req.model(), "", true, null,
                    req.includeUsage()).toString());
        }
        sse.send(OpenAiJson.chunk(chat, id, created, req.model(), null, false, c.finishReason(),
                req.includeUsage()).toString());
        if (req.includeUsage()) {
            sse.send(OpenAiJson.usageChunk(chat, id, created, req.model(), c.promptTokens(), c.completionTokens())
                    .toString());
        }
        sse.send("[DONE]");
        sse.end();
        sse.done().whenComplete((v, x) -> complete(callback, x));
    }

    private static void complete(Callback callback, Throwable failure) {
        if (failure == null) {
            callback.succeeded();
        } else {
            callback.failed(failure);
        }
    }

    /** Sets the event-stream headers; called before the first event is queued. */
    private static void startEvents(Response response) {
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream; charset=utf-8");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
    }

    private void admin(Request request, Response response, Callback callback, String name, String method) {
        try {
            switch (method) {
                case "PUT", "POST" -> {
                    String format = Request.extractQueryParameters(request).getValue("format");
                    byte[] file = readBody(request);
                    vectors.put(name, format == null ? "safetensors" : format, file);
                    writeJson(response, callback, 200, "{\"name\":" + OpenAiJson.MAPPER.valueToTree(name)
                            + ",\"status\":\"added\"}");
                }
                case "DELETE" -> {
                    if (!vectors.remove(name)) {
                        throw new OpenAiException(404, "invalid_request_error", "name", "vector_not_found",
                                "no vector named '" + name + "'");
                    }
                    writeJson(response, callback, 200, "{\"name\":" + OpenAiJson.MAPPER.valueToTree(name)
                            + ",\"status\":\"deleted\"}");
                }
                default -> throw new OpenAiException(405, "invalid_request_error", null, "method_not_allowed",
                        method + " is not allowed here; use PUT (add) or DELETE (remove)");
            }
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw OpenAiException.invalid("vector", e.getMessage());
        } catch (IOException e) {
            throw new OpenAiException(500, "server_error", null, null, "cannot store the vector: " + e.getMessage());
        }
    }

    /** The body, at most {@code maxBodyBytes}; 413 past that, without reading the rest. */
    private byte[] readBody(Request request) {
        long cap = options.maxBodyBytes();
        if (request.getLength() > cap) {
            throw tooLarge(cap);
        }
        try (InputStream in = Request.asInputStream(request)) {
            byte[] body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, cap + 1));
            if (body.length > cap) {
                throw tooLarge(cap);
            }
            return body;
        } catch (IOException e) {
            throw OpenAiException.invalid(null, "cannot read the request body: " + e.getMessage());
        }
    }

    private static OpenAiException tooLarge(long cap) {
        return new OpenAiException(413, "invalid_request_error", null, "request_too_large",
                "the request body is larger than " + cap + " bytes");
    }

    private static void checkKey(Request request, String key, String what) {
        if (key == null) {
            return;
        }
        String auth = request.getHeaders().get(HttpHeader.AUTHORIZATION);
        String given = auth != null && auth.startsWith("Bearer ") ? auth.substring(7).trim() : "";
        // constant-time comparison: the answer's timing does not tell how much of a guess was right
        if (!MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8), key.getBytes(StandardCharsets.UTF_8))) {
            throw new OpenAiException(401, "invalid_request_error", null, "invalid_api_key",
                    given.isEmpty() ? "no " + what + " given: send 'Authorization: Bearer KEY'"
                            : "incorrect " + what + " provided");
        }
    }

    private static void requireMethod(String method, String allowed) {
        if (!method.equals(allowed)) {
            throw new OpenAiException(405, "invalid_request_error", null, "method_not_allowed",
                    method + " is not allowed here; use " + allowed);
        }
    }

    private static OpenAiException unknownUrl(String method, String path) {
        return new OpenAiException(404, "invalid_request_error", null, "unknown_url",
                "Unknown request URL: " + method + " " + path);
    }

    private static void writeError(Response response, Callback callback, OpenAiException e) {
        if (e.status() == 413) {
            response.getHeaders().put(HttpHeader.CONNECTION, "close"); // the rest of the body is not read
        }
        writeJson(response, callback, e.status(), OpenAiJson.error(e).toString());
    }

    private static void writeJson(Response response, Callback callback, int status, String json) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.write(true, ByteBuffer.wrap(json.getBytes(StandardCharsets.UTF_8)), callback);
    }
}
