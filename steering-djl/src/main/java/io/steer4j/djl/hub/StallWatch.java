package io.steer4j.djl.hub;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Closes a response body that delivers no data for a whole timeout, that brings less than the minimum
 * throughput over a timeout-long window, or whose file outlives the per-file deadline, so that a stalled or
 * trickling server fails the read (java.net.http has no read timeout for bodies) instead of holding the caller.
 */
final class StallWatch {
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "steer4j-download-watchdog");
        thread.setDaemon(true);
        return thread;
    });

    private final long started = System.nanoTime();
    private final AtomicLong lastProgress = new AtomicLong(started);
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicReference<String> failure = new AtomicReference<>();
    private final ScheduledFuture<?> task;
    private long windowStart = started;
    private long windowBytes;

    StallWatch(InputStream body, Duration timeout, Duration deadline, long minBytesPerSecond) {
        long limit = timeout.toNanos();
        long period = Math.max(10, Math.min(1000, Math.min(timeout.toMillis(), deadline.toMillis()) / 4));
        task = TIMER.scheduleAtFixedRate(() -> {
            long now = System.nanoTime();
            String why = null;
            if (now - lastProgress.get() > limit) {
                why = "no data for " + timeout.toMillis() + " ms";
            } else if (now - started > deadline.toNanos()) {
                why = "not complete within the per-file deadline of " + deadline.toSeconds() + " s";
            } else if (now - windowStart >= limit) {
                long got = bytes.get() - windowBytes;
                double rate = got * 1e9 / (now - windowStart);
                if (got > 0 && rate < minBytesPerSecond) { // no bytes at all is the stall rule's to report
                    why = String.format(Locale.ROOT, "%.0f bytes/s over the last %d ms, below the minimum of %d"
                            + " bytes/s", rate, (now - windowStart) / 1_000_000, minBytesPerSecond);
                }
                windowStart = now;
                windowBytes = bytes.get();
            }
            if (why != null && failure.compareAndSet(null, why)) {
                try {
                    body.close();
                } catch (IOException ignored) {
                    // the reader fails either way
                }
            }
        }, period, period, TimeUnit.MILLISECONDS);
    }

    void progress(int n) {
        bytes.addAndGet(n);
        lastProgress.set(System.nanoTime());
    }

    /** Why the body was closed, or null when it was not. */
    String failure() {
        return failure.get();
    }

    void stop() {
        task.cancel(false);
    }
}
