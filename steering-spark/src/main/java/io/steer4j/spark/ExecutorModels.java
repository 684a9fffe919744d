package io.steer4j.spark;

import io.steer4j.djl.model.LanguageModel;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The models of this JVM, loaded once and shared by every task that runs in it (an executor runs
 * many tasks, often at once, and a model costs seconds and hundreds of MB to load). A model that cannot be loaded
 * is not cached: the task fails with a message naming the executor host and the loader's own message, Spark
 * retries it, and the job fails with that message once the retries are spent.
 */
final class ExecutorModels {
    private static final Map<String, LanguageModel> MODELS = new ConcurrentHashMap<>();
    /** Loads per model reference in this JVM: the per-JVM cache is a promise tests check from the executor side. */
    private static final Map<String, AtomicInteger> LOADS = new ConcurrentHashMap<>();
    private static final Map<String, io.steer4j.djl.model.EncoderModel> ENCODERS = new ConcurrentHashMap<>();

    private ExecutorModels() {
    }

    /** The model {@code ref} (a folder or Hugging Face id), loaded on first use in this JVM. */
    static LanguageModel model(String ref) {
        LanguageModel m = MODELS.get(ref);
        if (m != null && !m.isClosed()) {
            return m;
        }
        synchronized (MODELS) {
            m = MODELS.get(ref);
            if (m == null || m.isClosed()) {
                try {
                    m = LanguageModel.load(ref);
                    LOADS.computeIfAbsent(ref, r -> new AtomicInteger()).incrementAndGet();
                } catch (RuntimeException e) {
                    throw new ExecutorModelLoadException("executor on " + host() + " could not load model '" + ref + "': "
                            + e.getMessage(), e);
                }
                MODELS.put(ref, m);
            }
            return m;
        }
    }

    /** How many times this JVM has loaded {@code ref} (once, unless the model was closed in between). */
    static int loadCount(String ref) {
        AtomicInteger n = LOADS.get(ref);
        return n == null ? 0 : n.get();
    }

    /** Whether {@code ref} (a folder or Hugging Face id) is a BERT encoder rather than a decoder. */
    static boolean isEncoder(String ref) {
        try {
            Path dir = Files.isDirectory(Path.of(ref)) ? Path.of(ref)
                    : io.steer4j.djl.hub.ModelResolver.builder().build().resolve(ref);
            return io.steer4j.djl.model.EncoderModel.isEncoder(dir);
        } catch (RuntimeException e) {
            return false; // loading as a decoder reports the problem with the model
        }
    }

    /** The encoder {@code ref} (a folder or Hugging Face id), loaded on first use in this JVM. */
    static io.steer4j.djl.model.EncoderModel encoder(String ref) {
        synchronized (ENCODERS) {
            io.steer4j.djl.model.EncoderModel m = ENCODERS.get(ref);
            if (m == null || m.isClosed()) {
                try {
                    Path dir = Files.isDirectory(Path.of(ref)) ? Path.of(ref)
                            : io.steer4j.djl.hub.ModelResolver.builder().build().resolve(ref);
                    m = io.steer4j.djl.model.EncoderModel.load(dir);
                } catch (RuntimeException e) {
                    throw new ExecutorModelLoadException("executor on " + host() + " could not load encoder '" + ref + "': "
                            + e.getMessage(), e);
                }
                ENCODERS.put(ref, m);
            }
            return m;
        }
    }

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "an unknown host";
        }
    }
}
