package io.steer4j.djl.model;

import java.util.concurrent.Callable;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A loaded model's open/closed state and the rule that ties it to the engine thread, shared by
 * {@link LanguageModel} and {@link EncoderModel}: every pass runs on the process's {@link LibtorchThread} holding a
 * read lock, so {@link #close} (the write lock) never frees weights mid-pass; a close from the engine thread itself
 * while a pass is running is refused instead of deadlocking every model of the process.
 */
final class ModelLifecycle {
    /** Passes hold the read lock for one forward step; close takes the write lock. */
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    /** Every libtorch call of the model runs here; see {@link LibtorchThread}. */
    private final LibtorchThread engine = LibtorchThread.shared();
    private volatile boolean closed;

    /** Runs {@code pass} on the engine thread holding the read lock, so close never frees weights mid-pass. */
    <T> T pass(String modelId, Callable<T> pass) {
        ReentrantReadWriteLock.ReadLock read = lock.readLock();
        read.lock();
        try {
            ensureOpen(modelId);
            return engine.call(pass);
        } finally {
            read.unlock();
        }
    }

    /** Runs other libtorch work of a call on the engine thread (inline when already there). */
    <T> T compute(String modelId, Callable<T> work) {
        ensureOpen(modelId);
        return engine.call(work);
    }

    boolean isEngineThread() {
        return engine.isCurrent();
    }

    boolean isClosed() {
        return closed;
    }

    void ensureOpen(String modelId) {
        if (closed) {
            throw new IllegalStateException("model " + modelId + " is closed");
        }
    }

    /**
     * Marks the model closed, waits for a pass in progress, then runs {@code release} once, holding the write lock.
     *
     * @throws IllegalStateException when called on the engine thread (from a hook or inside compute) while a pass of
     *                               this model is running: that pass holds the model open and waits for the very
     *                               thread that would wait for it
     */
    void close(String modelId, Runnable release) {
        ReentrantReadWriteLock.WriteLock write = lock.writeLock();
        if (engine.isCurrent()) {
            if (!write.tryLock()) {
                throw new IllegalStateException("model " + modelId + " cannot be closed from a hook or compute()"
                        + " while one of its steps is running (that would deadlock the engine thread shared by"
                        + " every model); close it after the call returns");
            }
        } else {
            closed = true; // new calls fail at once while close waits for the step in progress
            write.lock();
        }
        closed = true;
        try {
            release.run();
        } finally {
            write.unlock();
        }
    }
}
