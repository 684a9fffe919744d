package io.steer4j.djl.model;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The one thread on which a model's libtorch work runs.
 *
 * <p>libtorch parallelises each CPU kernel with OpenMP, and a decode step is ~400 small parallel regions. Measured
 * on 2 cores: batch-1 decoding reaches ~42 tokens/s while a single thread has ever run libtorch work, and drops to
 * ~25 tokens/s on every thread once a second thread has (each calling thread gets its own OpenMP team and the
 * teams spoil each other's hot workers). Funnelling every call through one thread keeps one team hot no matter
 * which application threads call; concurrent callers are served step by step in turn. The thread is shared by
 * every model of the process, since two models on two engine threads would be two teams again.
 */
final class LibtorchThread {
    private static final LibtorchThread SHARED = new LibtorchThread("steer4j-engine");

    private final ExecutorService executor;
    private volatile Thread thread;

    /** The process-wide engine thread (a daemon, started on first use). */
    static LibtorchThread shared() {
        return SHARED;
    }

    /**
     * Polls of the task queue (~50-100 µs) before the engine thread parks between tasks.
     *
     * <p>Why: a decode loop hands the engine thread one step per token, and the next arrives a few dozen
     * microseconds after the last one ends (sampling, text). Parked in between, the engine thread must be woken
     * on its vCPU for every token. On stories260k, whose steps take ~0.15 ms, fresh JVMs then ran their first
     * generations at 0.56-0.60x of their steady speed in two of five; polling first, 0.75-1.01x in eleven of
     * eleven (same harness, alternating JVMs). GPT-2 small's decode was unchanged (23.4 against 23.6 ms a token
     * in 8 pairs). Callers still park on the result: a caller spinning as well starved the JIT's compiler
     * threads on two cores, and first generations fell to 0.12-0.34x.
     */
    private static final int SPINS = 20_000;

    private LibtorchThread(String name) {
        this.executor = new ThreadPoolExecutor(1, 1, 0L, TimeUnit.MILLISECONDS, new SpinningQueue(), r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            thread = t;
            return t;
        });
    }

    /** The engine thread's task queue: {@link #take} polls {@value #SPINS} times before it parks. */
    private static final class SpinningQueue extends LinkedBlockingQueue<Runnable> {
        @Override
        public Runnable take() throws InterruptedException {
            for (int i = 0; i < SPINS; i++) {
                Runnable r = poll();
                if (r != null) {
                    return r;
                }
                Thread.onSpinWait();
            }
            return super.take();
        }
    }

    /** Whether the caller is the engine thread (nested calls then run inline instead of deadlocking). */
    boolean isCurrent() {
        return Thread.currentThread() == thread;
    }

    /**
     * Runs {@code task} on the engine thread and returns its result; exceptions it throws are rethrown as they are.
     * An interrupt while waiting does not abandon the task (its arrays belong to the caller): the wait completes and
     * the interrupt flag is restored for the caller to act on.
     */
    <T> T call(Callable<T> task) {
        if (isCurrent()) {
            try {
                return task.call();
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        Future<T> f = executor.submit(task);
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return f.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    Throwable c = e.getCause();
                    if (c instanceof RuntimeException r) {
                        throw r;
                    }
                    if (c instanceof Error err) {
                        throw err;
                    }
                    throw new IllegalStateException(c);
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
