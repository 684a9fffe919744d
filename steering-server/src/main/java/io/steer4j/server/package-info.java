/**
 * {@code steer4j serve}: an OpenAI-compatible HTTP server over one steered model ({@link io.steer4j.server.SteerServer}).
 *
 * <p>Routes: {@code POST /v1/chat/completions} and {@code POST /v1/completions} (streamed as server-sent events
 * ending with {@code data: [DONE]}, or whole), {@code GET /v1/models}, {@code GET /health}, and with an admin key
 * {@code PUT /admin/vectors/NAME?format=safetensors|gguf} (body: the vector file) and
 * {@code DELETE /admin/vectors/NAME}. Steering per request comes from a preset model id
 * ({@code stories260k+happy@2}) or the extension field {@code "steering"} (see {@code SteeringSelection}); both
 * are served by one continuous batcher, each row with its own plan. Errors use OpenAI's error JSON and status codes.
 *
 * <p><b>Why Jetty 12 (core API, no servlets).</b> The server needs server-sent events whose writes never block the
 * one batcher thread that decodes every request, i.e. non-blocking writes with completion callbacks
 * (backpressure), plus request-size limits, idle timeouts and notice of a client that disconnects. Jetty 12's core
 * {@code Handler}/{@code Response.write(last, buffer, callback)} gives exactly that, on Java 17, in four jars
 * (jetty-server, -http, -io, -util, about 2.3 MB, plus slf4j-api, which steer4j already uses), from a project
 * with regular security releases. The alternatives weighed: the JDK's {@code com.sun.net.httpserver} has no
 * asynchronous writes, so a client that stops reading would block the writer; Javalin is Jetty plus the Kotlin
 * standard library; Helidon SE 4 (Níma) needs Java 21; Vert.x brings Netty (about ten jars, 5 MB); Undertow brings
 * XNIO, JBoss Logging and WildFly Common. Only applications that serve get any of this: the module is separate.
 */
package io.steer4j.server;
