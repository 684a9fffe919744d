package io.steer4j.djl.engine.cpu;

/** How many threads the Java CPU engine's worker team has: {@value #PROPERTY}, else the available processors. */
public final class CpuThreads {
    /** System property: threads of the worker team, the calling thread included. */
    public static final String PROPERTY = "steer4j.cpu.threads";

    private CpuThreads() {
    }

    /**
     * The configured thread count.
     *
     * @throws IllegalArgumentException when {@value #PROPERTY} is not a positive integer
     */
    public static int count() {
        String v = System.getProperty(PROPERTY);
        if (v == null || v.isBlank()) {
            return Runtime.getRuntime().availableProcessors();
        }
        try {
            int n = Integer.parseInt(v.trim());
            if (n < 1) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(PROPERTY + " must be a positive integer, got '" + v + "'");
        }
    }
}
