package io.steer4j.server;

import io.steer4j.core.format.vectorfile.VectorFiles;
import io.steer4j.core.vector.SteeringVector;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The steering vectors a server offers by name: the {@code .safetensors} and {@code .gguf} files of one folder,
 * named by their file name without the extension ({@code happy.safetensors} is {@code happy}). Every vector is
 * checked against the model when it is read (hidden size, layers), so a request never finds a bad one. Vectors can
 * be added and removed while serving; an added one is written to a temporary file, read back, then moved into
 * place, so the folder never holds half a file.
 */
public final class VectorLibrary {
    /** Names that fit in a model id ({@code base+name@2}) and in a file name. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}");

    private final Path folder;
    private final int numLayers;
    private final int hiddenSize;
    private final Map<String, SteeringVector> vectors = new ConcurrentHashMap<>();
    private final Object writeLock = new Object();

    private VectorLibrary(Path folder, int numLayers, int hiddenSize) {
        this.folder = folder;
        this.numLayers = numLayers;
        this.hiddenSize = hiddenSize;
    }

    /** A library with no folder and no vectors (adding is refused). */
    public static VectorLibrary empty(int numLayers, int hiddenSize) {
        return new VectorLibrary(null, numLayers, hiddenSize);
    }

    /**
     * Reads every vector file of {@code folder} (created if missing).
     *
     * @throws IllegalArgumentException naming the file when one does not fit the model or two share a name
     * @throws IOException              when the folder or a file cannot be read
     */
    public static VectorLibrary open(Path folder, int numLayers, int hiddenSize) throws IOException {
        Files.createDirectories(folder);
        VectorLibrary lib = new VectorLibrary(folder, numLayers, hiddenSize);
        try (DirectoryStream<Path> files = Files.newDirectoryStream(folder)) {
            for (Path f : files) {
                String ext = extension(f);
                if (ext == null || !Files.isRegularFile(f)) {
                    continue;
                }
                String name = f.getFileName().toString();
                name = name.substring(0, name.length() - ext.length() - 1);
                if (!NAME.matcher(name).matches()) {
                    throw new IllegalArgumentException("vector file " + f + ": its name must be letters, digits, "
                            + "'_', '-' or '.' (it names the vector in requests and model ids)");
                }
                if (lib.vectors.containsKey(name)) {
                    throw new IllegalArgumentException("two vector files are named '" + name + "' in " + folder
                            + " (.safetensors and .gguf); keep one");
                }
                lib.vectors.put(name, lib.check(VectorFiles.read(f), f.toString()));
            }
        }
        return lib;
    }

    /** The vector called {@code name}, if any. */
    public Optional<SteeringVector> get(String name) {
        return Optional.ofNullable(vectors.get(name));
    }

    /** Every vector by name, sorted. */
    public SortedMap<String, SteeringVector> all() {
        return new TreeMap<>(vectors);
    }

    /**
     * Adds (or replaces) {@code name} from the bytes of a vector file of the given format.
     *
     * @param format {@code safetensors} or {@code gguf}
     * @throws IllegalArgumentException when the name, the format or the vector is not acceptable
     * @throws IOException              when it cannot be written
     */
    public SteeringVector put(String name, String format, byte[] file) throws IOException {
        checkName(name);
        String ext = format.toLowerCase(Locale.ROOT);
        if (!ext.equals("safetensors") && !ext.equals("gguf")) {
            throw new IllegalArgumentException("format must be safetensors or gguf, got '" + format + "'");
        }
        if (folder == null) {
            throw new IllegalStateException("the server was started without a vector folder");
        }
        synchronized (writeLock) {
            Path tmp = Files.createTempFile(folder, "." + name + "-", ".part." + ext);
            try {
                Files.write(tmp, file);
                SteeringVector v = check(VectorFiles.read(tmp), "uploaded vector '" + name + "'");
                Path target = folder.resolve(name + "." + ext);
                try {
                    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
                }
                String other = ext.equals("gguf") ? "safetensors" : "gguf";
                Files.deleteIfExists(folder.resolve(name + "." + other));
                vectors.put(name, v);
                return v;
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /**
     * Removes {@code name} and its file.
     *
     * @return whether there was such a vector
     */
    public boolean remove(String name) {
        checkName(name);
        synchronized (writeLock) {
            boolean had = vectors.remove(name) != null;
            if (folder != null) {
                try {
                    Files.deleteIfExists(folder.resolve(name + ".safetensors"));
                    Files.deleteIfExists(folder.resolve(name + ".gguf"));
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot delete the file of vector '" + name + "'", e);
                }
            }
            return had;
        }
    }

    private static void checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("a vector name must be 1-100 letters, digits, '_', '-' or '.', not "
                    + "starting with '-' or '.'");
        }
    }

    private SteeringVector check(SteeringVector v, String where) {
        if (v.hiddenSize() != hiddenSize) {
            throw new IllegalArgumentException(where + " has hidden size " + v.hiddenSize() + " but the model has "
                    + hiddenSize);
        }
        for (int layer : v.layers()) {
            if (layer >= numLayers) {
                throw new IllegalArgumentException(where + " has layer " + layer + " but the model has " + numLayers
                        + " layers (0.." + (numLayers - 1) + ")");
            }
        }
        return v;
    }

    private static String extension(Path f) {
        String n = f.getFileName().toString().toLowerCase(Locale.ROOT);
        if (n.startsWith(".")) {
            return null; // temporary files of put()
        }
        if (n.endsWith(".safetensors")) {
            return "safetensors";
        }
        if (n.endsWith(".gguf")) {
            return "gguf";
        }
        return null;
    }
}
