package io.steer4j.djl.generation;

/**
 * Lets another thread stop a running generation. The generation checks it (and its thread's interrupt flag)
 * between tokens and ends with {@link GenerationCancelledException}, freeing everything it allocated; the model
 * stays usable.
 */
public final class CancellationToken {
    /** A token that is never cancelled. */
    public static final CancellationToken NEVER = new CancellationToken();

    private volatile boolean cancelled;

    /** Requests cancellation. */
    public void cancel() {
        if (this == NEVER) {
            throw new UnsupportedOperationException("CancellationToken.NEVER cannot be cancelled");
        }
        cancelled = true;
    }

    /**
     * @return whether {@link #cancel()} has been called
     */
    public boolean isCancelled() {
        return cancelled;
    }
}
