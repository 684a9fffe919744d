package io.steer4j.djl.model;

/**
 * Whether the Vector API decode path ({@link VectorDecoder}) can and may run in this JVM.
 *
 * <p>The JDK's Vector API is an incubator module in Java 17 to 21: it is present only when the JVM was started
 * with {@code --add-modules jdk.incubator.vector}. Without it steer4j decodes with libtorch, as before. The system
 * property {@value #PROPERTY} set to {@code libtorch} turns the path off even when the module is present (the
 * benchmark compares both paths in one process that way); any other value, or none, means automatic.
 */
public final class VectorSupport {
    /** System property choosing the batch-1 CPU decode path: {@code auto} (default) or {@code libtorch}. */
    public static final String PROPERTY = "steer4j.cpu.decode";
    /** System property: threads of the Vector API path (default: the available processors). */
    public static final String THREADS_PROPERTY = "steer4j.cpu.threads";

    private static final boolean MODULE = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

    private VectorSupport() {
    }

    /** Whether the {@code jdk.incubator.vector} module is in this JVM (started with {@code --add-modules}). */
    public static boolean moduleLoaded() {
        return MODULE;
    }

    /** Whether eligible calls use the Vector API path now: the module is present and the property allows it. */
    public static boolean enabled() {
        return MODULE && !"libtorch".equalsIgnoreCase(System.getProperty(PROPERTY, "auto").trim());
    }

    /** Threads for the Vector API path: {@value #THREADS_PROPERTY}, else the available processors. */
    public static int threads() {
        String v = System.getProperty(THREADS_PROPERTY);
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
            throw new IllegalArgumentException(THREADS_PROPERTY + " must be a positive integer, got '" + v + "'");
        }
    }
}
