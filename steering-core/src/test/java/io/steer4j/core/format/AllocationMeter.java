package io.steer4j.core.format;

import java.lang.management.ManagementFactory;
import java.util.concurrent.Callable;

/**
 * Measures the heap bytes the current thread allocates while running a task, with
 * {@code com.sun.management.ThreadMXBean#getThreadAllocatedBytes}: a bound on memory that, unlike wall time, does
 * not depend on how busy the machine is.
 */
public final class AllocationMeter {
    private AllocationMeter() {
    }

    /** What a task allocated and what it threw (null when it returned normally). */
    public record Cost(long allocatedBytes, Throwable thrown) {
    }

    /** Runs {@code task} on this thread and reports the bytes it allocated and any exception it threw. */
    public static Cost measure(Callable<?> task) {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long id = Thread.currentThread().getId();
        long before = mx.getThreadAllocatedBytes(id);
        Throwable thrown = null;
        try {
            task.call();
        } catch (Throwable t) {
            thrown = t;
        }
        return new Cost(mx.getThreadAllocatedBytes(id) - before, thrown);
    }
}
