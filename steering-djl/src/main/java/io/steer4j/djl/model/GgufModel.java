package io.steer4j.djl.model;

import io.steer4j.djl.gguf.GgufCheckpoint;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * How {@link LanguageModel} loads a GGUF model file: unpacked by {@link GgufCheckpoint} into a temporary Hugging
 * Face folder that the model owns and deletes when it closes (or, failing that, when the JVM exits).
 */
final class GgufModel {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(GgufModel.class);

    private GgufModel() {
    }

    /** Whether {@code ref} names an existing file that starts with GGUF's magic. */
    static boolean isGgufFile(String ref) {
        try {
            Path p = Path.of(ref);
            if (!Files.isRegularFile(p)) {
                return false;
            }
            try (InputStream in = Files.newInputStream(p)) {
                byte[] magic = in.readNBytes(4);
                return magic.length == 4 && magic[0] == 'G' && magic[1] == 'G' && magic[2] == 'U' && magic[3] == 'F';
            }
        } catch (InvalidPathException | IOException e) {
            return false;
        }
    }

    /** The id vectors computed on the model record: the file name without {@code .gguf}. */
    static String modelId(Path file) {
        String n = file.getFileName().toString();
        return n.toLowerCase(java.util.Locale.ROOT).endsWith(".gguf") ? n.substring(0, n.length() - 5) : n;
    }

    /**
     * Unpacks {@code file} into a new temporary folder.
     *
     * @throws ModelLoadException naming the file and what is wrong with it
     */
    static Path unpack(Path file) {
        Path dir;
        try {
            // Named for the file, so the engine line logged at load names the model, not only a number.
            String name = modelId(file).replaceAll("[^A-Za-z0-9._-]", "_");
            dir = Files.createTempDirectory(name.substring(0, Math.min(name.length(), 64)) + "-gguf-");
        } catch (IOException e) {
            throw new ModelLoadException("cannot create a folder to unpack " + file + " into: " + e.getMessage(), e);
        }
        try {
            long t0 = System.nanoTime();
            GgufCheckpoint.unpack(file, dir);
            dir.toFile().deleteOnExit();
            LOG.info("{}: GGUF model file unpacked in {} ms to {} (as float32 for libtorch; the Java CPU engine keeps "
                    + "Q8_0 and 16-bit matrices in their own form)",
                    file.getFileName(), (System.nanoTime() - t0) / 1_000_000, dir);
            return dir;
        } catch (IOException | RuntimeException e) {
            delete(dir);
            if (e instanceof ModelLoadException m) {
                throw m;
            }
            throw new ModelLoadException("cannot load the GGUF model file: " + e.getMessage(), e);
        }
    }

    /** Deletes an unpacked folder; a failure leaves it for the JVM's exit (a mapped file may still be open). */
    static void delete(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            dir.toFile().deleteOnExit();
        }
    }
}
