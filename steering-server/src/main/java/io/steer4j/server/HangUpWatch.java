package io.steer4j.server;

import io.steer4j.djl.generation.CancellationToken;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.util.BufferUtil;

import java.io.IOException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Notices a client that hangs up while its whole (non-streamed) answer is generated. Nothing is written to it
 * until the answer is ready, and Jetty does not read a connection while its request is handled, so the closed
 * connection would go unseen and the generation would run to its end. The watch reads the connection every 100 ms
 * (a non-blocking read of at most one byte): end-of-stream or an error cancels the generation. A byte read is the
 * start of a pipelined request, which HTTP clients do not send after a POST; the answer then closes the connection.
 */
final class HangUpWatch {
    private final EndPoint endPoint;
    private final CancellationToken cancel;
    private final ScheduledFuture<?> task;
    private boolean stopped;
    private boolean consumed;

    private HangUpWatch(ScheduledExecutorService timer, EndPoint endPoint, CancellationToken cancel) {
        this.endPoint = endPoint;
        this.cancel = cancel;
        this.task = timer.scheduleWithFixedDelay(this::poll, 100, 100, TimeUnit.MILLISECONDS);
    }

    static HangUpWatch start(ScheduledExecutorService timer, EndPoint endPoint, CancellationToken cancel) {
        return new HangUpWatch(timer, endPoint, cancel);
    }

    private synchronized void poll() {
        if (stopped || consumed) {
            return;
        }
        try {
            int n = endPoint.fill(BufferUtil.allocate(1)); // Jetty buffers start in flush mode (empty)
            if (n < 0) {
                cancel.cancel();
                stopped = true;
            } else if (n > 0) {
                consumed = true;
            }
        } catch (IOException e) {
            cancel.cancel();
            stopped = true;
        }
    }

    /**
     * Stops watching (before the answer is written).
     *
     * @return whether the watch consumed a byte, so the connection must close after the answer
     */
    synchronized boolean stop() {
        stopped = true;
        task.cancel(false);
        return consumed;
    }
}
