package io.steer4j.djl.engine.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed team of threads that runs one data-parallel task at a time, for the Java CPU engine
 * ({@link CpuDecoder}): a decode step is ~50 short parallel regions (one per weight product), so handing work
 * over must cost about a microsecond. Workers spin on the task word for a short while after each task (the next
 * product follows within microseconds) and then park, so an idle model costs no CPU.
 *
 * <p>A task is cut into {@value #PARTS_PER_THREAD} parts per thread that whoever is running claims one at a
 * time, the calling thread included. On a machine busier than its cores a worker may not be scheduled for
 * milliseconds; the caller then claims that worker's parts itself, so a step degrades to one thread's speed
 * instead of waiting a scheduler time slice at every product (a fixed split did, and so do OpenMP barriers).
 *
 * <p>One pool per process ({@link #shared}), created by the first model that runs on the Java engine and kept for
 * every later one: every one-row pass runs on the engine thread anyway, and a pool per model leaked its workers,
 * which never stop (a process loading and closing models would gather thousands of idle threads). {@link #run} is
 * synchronized so that a second caller waits rather than corrupting a task in flight.
 */
final class SpinPool {
    /** Spin iterations before a worker parks: ~50-100 µs, longer than the gap between two products of a step. */
    private static final int SPINS = 20_000;
    private static final int PARTS_PER_THREAD = 4;

    /** Work split into {@code parts} pieces; piece {@code part} is run by one thread. */
    interface Task {
        void run(int part, int parts);
    }

    private final int size;
    private final int parts;
    private final Thread[] workers;
    private volatile Task task;
    /** Task generation (high 32 bits) and the next unclaimed part (low 32 bits), claimed by compare-and-set. */
    private final AtomicLong claim = new AtomicLong();
    private final AtomicInteger finished = new AtomicInteger();
    private volatile Throwable failure;

    /** The process's team, {@link CpuThreads#count()} threads counting the caller, started on first use. */
    static SpinPool shared() {
        return Shared.POOL;
    }

    /** Holder idiom: the workers start when a Java-engine model first needs them, never in a libtorch-only JVM. */
    private static final class Shared {
        static final SpinPool POOL = new SpinPool(CpuThreads.count());
    }

    SpinPool(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("a pool needs at least one thread, got " + size);
        }
        this.size = size;
        this.parts = size * PARTS_PER_THREAD;
        this.workers = new Thread[size - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Thread(this::work, "steer4j-cpu-" + (i + 1));
            workers[i].setDaemon(true);
            workers[i].start();
        }
    }

    /** Threads of the team, the caller included. */
    int size() {
        return size;
    }

    /** Parts of each task: {@link Task#run} gets {@code part < parts()}. */
    int parts() {
        return size == 1 ? 1 : parts;
    }

    /** Runs every part of {@code t} and returns when all have finished. */
    synchronized void run(Task t) {
        if (size == 1) {
            t.run(0, 1);
            return;
        }
        task = t;
        finished.set(0);
        long gen = (claim.get() >>> 32) + 1;
        claim.set(gen << 32); // publishes the task: a worker that sees this generation sees the task
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
        runParts(t, gen);
        while (finished.get() < parts) {
            Thread.onSpinWait(); // only parts a worker has started are left
        }
        task = null;
        Throwable f = failure;
        failure = null;
        if (f instanceof RuntimeException r) {
            throw r;
        }
        if (f instanceof Error err) {
            throw err;
        }
        if (f != null) {
            throw new IllegalStateException(f);
        }
    }

    /** Claims and runs parts of generation {@code gen} until none is left; a failure is kept for the caller. */
    private void runParts(Task t, long gen) {
        while (true) {
            long v = claim.get();
            if (v >>> 32 != gen || (int) v >= parts) {
                return;
            }
            if (!claim.compareAndSet(v, v + 1)) {
                continue;
            }
            try {
                t.run((int) v, parts);
            } catch (Throwable e) {
                if (failure == null) {
                    failure = e;
                }
            } finally {
                finished.incrementAndGet();
            }
        }
    }

    private void work() {
        long seen = 0;
        while (true) {
            int spins = 0;
            long gen;
            while ((gen = claim.get() >>> 32) == seen) {
                if (++spins < SPINS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            seen = gen;
            Task t = task;
            if (t != null) {
                runParts(t, gen);
            }
        }
    }
}
