package io.steer4j.djl.model;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed team of threads that runs one data-parallel task at a time, for the Vector API decode path
 * ({@link VectorDecoder}): a decode step is ~50 short parallel regions (one per weight product), so handing work
 * over must cost about a microsecond. Workers spin on a generation counter for a short while after each task
 * (the next product follows within microseconds) and then park, so an idle model costs no CPU; the calling
 * thread takes part 0 of every task itself.
 *
 * <p>One pool per process is enough because every decode runs on the engine thread; {@link #run} is synchronized
 * so that a second caller waits rather than corrupting a task in flight.
 */
final class SpinPool {
    /** Spin iterations before a worker parks: ~50-100 µs, longer than the gap between two products of a step. */
    private static final int SPINS = 20_000;

    /** Work split into {@code parts} pieces; piece {@code part} is run by one thread. */
    interface Task {
        void run(int part, int parts);
    }

    private final int size;
    private final Thread[] workers;
    private volatile Task task;
    /** Incremented once per task; workers run the task of each generation once. */
    private final AtomicInteger generation = new AtomicInteger();
    private final AtomicInteger pending = new AtomicInteger();
    private volatile Throwable failure;

    SpinPool(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("a pool needs at least one thread, got " + size);
        }
        this.size = size;
        this.workers = new Thread[size - 1];
        for (int i = 0; i < workers.length; i++) {
            int part = i + 1;
            workers[i] = new Thread(() -> work(part), "steer4j-vector-" + part);
            workers[i].setDaemon(true);
            workers[i].start();
        }
    }

    /** Threads taking part in each task, the caller included. */
    int size() {
        return size;
    }

    /** Runs {@code t} split into {@link #size()} parts and returns when every part has finished. */
    synchronized void run(Task t) {
        if (size == 1) {
            t.run(0, 1);
            return;
        }
        task = t;
        pending.set(size - 1);
        generation.incrementAndGet();
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
        Throwable own = null;
        try {
            t.run(0, size);
        } catch (Throwable e) {
            own = e;
        }
        while (pending.get() != 0) {
            Thread.onSpinWait();
        }
        task = null;
        Throwable f = failure;
        failure = null;
        if (own != null || f != null) {
            Throwable e = own != null ? own : f;
            if (e instanceof RuntimeException r) {
                throw r;
            }
            if (e instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(e);
        }
    }

    private void work(int part) {
        int seen = 0;
        while (true) {
            int spins = 0;
            int g;
            while ((g = generation.get()) == seen) {
                if (++spins < SPINS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            seen = g;
            try {
                task.run(part, size);
            } catch (Throwable e) {
                failure = e;
            } finally {
                pending.decrementAndGet();
            }
        }
    }
}
