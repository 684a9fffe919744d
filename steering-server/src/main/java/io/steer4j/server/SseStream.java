package io.steer4j.server;

import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.IteratingCallback;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;

/**
 * A server-sent-event stream with backpressure: events are queued and written one at a time with Jetty's
 * non-blocking writes, so the generating thread (the continuous batcher, which serves every request) never waits
 * for a client. A client that stops reading lets its queue grow; past {@code maxQueuedBytes} the stream fails and
 * {@code onFailure} cancels the generation, so a stalled reader costs a bounded amount of memory and nobody else's
 * time. A write that makes no progress for the connector's idle timeout fails the same way, as does a client
 * that disconnects.
 */
final class SseStream extends IteratingCallback {
    private final Response response;
    private final long maxQueuedBytes;
    private final Runnable onFailure;
    private final ArrayDeque<ByteBuffer> queue = new ArrayDeque<>();
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private long queuedBytes;
    private boolean ending;
    private boolean lastWritten;

    SseStream(Response response, long maxQueuedBytes, Runnable onFailure) {
        this.response = response;
        this.maxQueuedBytes = maxQueuedBytes;
        this.onFailure = onFailure;
    }

    /** Queues {@code data: <json>\n\n}; fails the stream when the client has fallen too far behind. */
    void send(String data) {
        ByteBuffer b = ByteBuffer.wrap(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
        boolean overflow;
        synchronized (queue) {
            if (ending) {
                return;
            }
            queue.add(b);
            queuedBytes += b.remaining();
            overflow = queuedBytes > maxQueuedBytes;
        }
        if (overflow) {
            abort(new IOException("the client is not reading its stream (more than " + maxQueuedBytes
                    + " bytes queued); cut off"));
            return;
        }
        iterate();
    }

    /** Writes what is queued, then ends the response. */
    void end() {
        synchronized (queue) {
            ending = true;
        }
        iterate();
    }

    /** Completes when the last byte is written, exceptionally when the stream failed. */
    CompletableFuture<Void> done() {
        return done;
    }

    @Override
    protected Action process() {
        ByteBuffer next;
        boolean last = false;
        synchronized (queue) {
            next = queue.poll();
            if (next != null) {
                queuedBytes -= next.remaining();
            } else if (ending && !lastWritten) {
                lastWritten = true;
                last = true;
                next = BufferUtil.EMPTY_BUFFER;
            } else if (lastWritten) {
                return Action.SUCCEEDED;
            } else {
                return Action.IDLE;
            }
        }
        response.write(last, next, this);
        return Action.SCHEDULED;
    }

    @Override
    protected void onCompleteSuccess() {
        done.complete(null);
    }

    /** Called at once on {@link #abort}, even while a write is pending (which may never complete). */
    @Override
    protected void onAborted(Throwable cause) {
        fail(cause);
    }

    @Override
    protected void onCompleteFailure(Throwable cause) {
        fail(cause);
    }

    private void fail(Throwable cause) {
        synchronized (queue) {
            queue.clear();
            queuedBytes = 0;
            ending = true;
        }
        done.completeExceptionally(cause);
        onFailure.run();
    }
}
