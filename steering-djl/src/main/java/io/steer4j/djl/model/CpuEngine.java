package io.steer4j.djl.model;

import io.steer4j.djl.engine.cpu.CpuThreads;

import java.util.Locale;

/**
 * Which engine runs a model's one-row forward passes on the CPU (the prompt pass and decode steps of a generation):
 * steer4j's own Java CPU engine, SIMD loops from the JDK's Vector API over its own copy of the weights (float32, or
 * 16-bit matrices for a bfloat16 or float16 checkpoint), or libtorch. Batches, GPUs and stateless scoring passes always
 * run on libtorch; both engines follow the same forward description, run the same hooks and give the same logits to
 * float32 rounding.
 *
 * <p>Chosen per model when it loads ({@link LoadOptions#cpuEngine}); the system property {@value #PROPERTY}
 * ({@code auto}, {@code java} or {@code libtorch}), when set, overrides that choice for every model loaded after.
 * Neither is read again after loading. The Java engine needs the JVM flag {@value #JVM_FLAG} (the Vector API is an
 * incubator module in Java 17 to 25); the {@code steer4j} command-line tool adds it itself.
 *
 * <pre>{@code
 * LanguageModel m = LanguageModel.load(dir, LoadOptions.builder().cpuEngine(CpuEngine.LIBTORCH).build());
 * }</pre>
 */
public enum CpuEngine {
    /** The Java engine where it can run (float32 weights on the CPU, the module present, the copy fits the heap), else libtorch. */
    AUTO,
    /** The Java engine; loading fails, naming why, where it cannot run. */
    JAVA,
    /** libtorch for every pass. */
    LIBTORCH;

    /** System property overriding every model's choice: {@code auto}, {@code java} or {@code libtorch}. */
    public static final String PROPERTY = "steer4j.cpu.decode";
    /** System property: threads of the Java engine's worker team (default: the available processors). */
    public static final String THREADS_PROPERTY = CpuThreads.PROPERTY;
    /** The JVM flag the Java engine needs. */
    public static final String JVM_FLAG = "--add-modules jdk.incubator.vector";

    private static final boolean MODULE = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

    /** Whether this JVM has the Vector API module the Java engine needs (started with {@value #JVM_FLAG}). */
    public static boolean javaEngineAvailable() {
        return MODULE;
    }

    /**
     * The engine to use for a model loaded with {@code requested}: the value of {@value #PROPERTY} when it is set,
     * else {@code requested}.
     *
     * @throws IllegalArgumentException when the property holds anything else than the three names
     */
    static CpuEngine resolve(CpuEngine requested) {
        String v = System.getProperty(PROPERTY);
        if (v == null || v.isBlank()) {
            return requested;
        }
        try {
            return valueOf(v.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(PROPERTY + " must be auto, java or libtorch, got '" + v + "'");
        }
    }

    /** Threads of the Java engine: {@value #THREADS_PROPERTY}, else the available processors. */
    public static int threads() {
        return CpuThreads.count();
    }
}
