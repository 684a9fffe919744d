package io.steer4j.examples;

import io.steer4j.core.dataset.ContrastiveDataset;
import io.steer4j.core.dataset.ContrastiveDatasets;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The small contrastive datasets shipped with the examples ({@code src/main/resources/datasets}, CC0), loaded from
 * the classpath so examples run from the jar without a checkout.
 *
 * <pre>{@code
 * ContrastiveDataset sentiment = ExampleDatasets.load("sentiment.json");
 * ContrastiveDataset helpful = ExampleDatasets.load("helpfulness.json", "helpful");
 * }</pre>
 */
public final class ExampleDatasets {
    /** Classpath folder holding the datasets. */
    public static final String FOLDER = "/datasets/";

    /** Names of the pair datasets that {@link #load(String)} accepts. */
    public static final List<String> PAIR_DATASETS =
            List.of("sentiment.json", "formality.json", "helpfulness.json", "ab-sycophancy.jsonl",
                    "stories-sentiment.json");

    private ExampleDatasets() {
    }

    /** Loads a shipped pair dataset, e.g. {@code "sentiment.json"}. */
    public static ContrastiveDataset load(String name) {
        return load(name, null);
    }

    /**
     * Loads a shipped pair dataset; for the two-list form ({@code helpfulness.json}) {@code positiveKey} names the
     * positive list ({@code null} for the loader's default rule).
     *
     * @throws IllegalArgumentException when no such dataset is shipped
     * @throws UncheckedIOException     when it cannot be read
     */
    public static ContrastiveDataset load(String name, String positiveKey) {
        // The loader picks its parser from the file extension and names the dataset after the file, so the
        // resource is copied to a temporary file with the same name.
        Path dir = null;
        try {
            dir = Files.createTempDirectory("steer4j-dataset");
            Path file = copyTo(name, dir);
            return ContrastiveDatasets.load(file, positiveKey);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the shipped dataset " + name + ": " + e.getMessage(), e);
        } finally {
            deleteQuietly(dir);
        }
    }

    /** True when {@code name} is a shipped resource. */
    public static boolean exists(String name) {
        return ExampleDatasets.class.getResource(FOLDER + name) != null;
    }

    /**
     * Copies a shipped resource into {@code dir} under its own name.
     *
     * @throws IllegalArgumentException when no such resource is shipped
     */
    public static Path copyTo(String name, Path dir) throws IOException {
        if (name.contains("/") || name.contains("\\")) {
            throw new IllegalArgumentException("dataset name must be a plain file name, got '" + name + "'");
        }
        try (InputStream in = ExampleDatasets.class.getResourceAsStream(FOLDER + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no shipped dataset named '" + name + "'; shipped: "
                        + PAIR_DATASETS);
            }
            Path file = dir.resolve(name);
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            return file;
        }
    }

    /** The lines of a shipped text resource, e.g. {@code neutral.txt}, blank lines dropped. */
    public static List<String> lines(String name) {
        try (InputStream in = ExampleDatasets.class.getResourceAsStream(FOLDER + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no shipped resource named '" + name + "'");
            }
            List<String> out = new ArrayList<>();
            for (String l : new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).split("\\R")) {
                if (!l.isBlank()) {
                    out.add(l.strip());
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteQuietly(Path dir) {
        if (dir == null) {
            return;
        }
        try (var files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Files.deleteIfExists(p);
            }
            Files.deleteIfExists(dir);
        } catch (IOException ignored) {
            // a leftover temp file is harmless
        }
    }
}
