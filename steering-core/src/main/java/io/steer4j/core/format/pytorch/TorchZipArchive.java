package io.steer4j.core.format.pytorch;

import io.steer4j.core.format.VectorFileFormatException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * The zip container of {@code torch.save} (PyTorch &gt;= 1.6): {@code PREFIX/data.pkl} (the pickle),
 * {@code PREFIX/data/KEY} (raw little-endian storages), {@code PREFIX/version} and a few bookkeeping entries,
 * all stored uncompressed.
 *
 * <p>The zip is treated as hostile. At most {@value #MAX_ENTRIES} entries; every name is checked (no {@code ..}
 * segment, no absolute path, no backslash or control character) before anything is read, although nothing is ever
 * written to disk; only stored (uncompressed) entries are read, and an entry's claimed size must fit in the real
 * file and equal the bytes actually there, so memory stays bounded by the file's size whatever the headers say.
 */
final class TorchZipArchive implements AutoCloseable {
    static final int MAX_ENTRIES = 100_000;
    private static final Pattern STORAGE_KEY = Pattern.compile("[A-Za-z0-9_]{1,64}");

    private final Path file;
    private final long fileSize;
    private final ZipFile zip;
    private final String prefix;

    private TorchZipArchive(Path file, long fileSize, ZipFile zip, String prefix) {
        this.file = file;
        this.fileSize = fileSize;
        this.zip = zip;
        this.prefix = prefix;
    }

    /**
     * Opens and validates the archive's directory.
     *
     * @throws VectorFileFormatException if it is not a torch.save zip, names an entry outside the archive, has too
     *                                   many entries, or has no or several {@code data.pkl}
     */
    static TorchZipArchive open(Path file) throws IOException {
        long size = Files.size(file);
        ZipFile zip;
        try {
            zip = new ZipFile(file.toFile());
        } catch (ZipException e) {
            throw new VectorFileFormatException(file, "not a zip archive as torch.save (PyTorch >= 1.6) writes", e);
        }
        try {
            if (zip.size() > MAX_ENTRIES) {
                throw new VectorFileFormatException(file, "zip has " + zip.size() + " entries (at most "
                        + MAX_ENTRIES + " are read)");
            }
            List<String> pickles = new ArrayList<>();
            Set<String> names = new HashSet<>();
            Enumeration<? extends ZipEntry> entries = zip.entries();
            for (int i = 0; entries.hasMoreElements(); i++) {
                String name = entries.nextElement().getName();
                String bad = badName(name);
                if (bad != null) {
                    throw new VectorFileFormatException(file, "zip entry " + i + "'s name " + bad);
                }
                if (!names.add(name)) {
                    // which of two same-named entries a reader sees differs between zip libraries
                    throw new VectorFileFormatException(file, "zip entry " + i + "'s name appears twice");
                }
                if (name.endsWith("/data.pkl") && name.indexOf('/') == name.length() - "/data.pkl".length()) {
                    pickles.add(name);
                }
            }
            if (pickles.size() != 1) {
                throw new VectorFileFormatException(file, "zip has " + pickles.size() + " PREFIX/data.pkl entries;"
                        + " a torch.save archive has exactly one");
            }
            String p = pickles.get(0);
            return new TorchZipArchive(file, size, zip, p.substring(0, p.length() - "/data.pkl".length()));
        } catch (IOException | RuntimeException e) {
            zip.close();
            throw e;
        }
    }

    private static String badName(String name) {
        if (name.isEmpty() || name.startsWith("/") || name.contains("\\") || name.contains(":")) {
            return "is absolute or not a plain relative path";
        }
        for (String segment : name.split("/", -1)) {
            if (segment.equals("..") || segment.equals(".")) {
                return "has a '" + segment + "' segment (a path out of the archive)";
            }
        }
        for (int i = 0; i < name.length(); i++) {
            if (name.charAt(i) < 0x20 || name.charAt(i) == 0x7f) {
                return "has a control character";
            }
        }
        return null;
    }

    /** The archive's top-level folder (the name torch.save was given, without extension). */
    String prefix() {
        return prefix;
    }

    /** Whether the archive holds {@code name}. */
    boolean has(String name) {
        return zip.getEntry(name) != null;
    }

    /** {@code PREFIX/data.pkl}. */
    String picklePath() {
        return prefix + "/data.pkl";
    }

    /**
     * The exact bytes of a stored entry.
     *
     * @throws VectorFileFormatException if it is missing, compressed, or its size claims disagree with the file
     */
    byte[] read(String name) throws IOException {
        ZipEntry e = zip.getEntry(name);
        if (e == null) {
            throw new VectorFileFormatException(file, "zip has no entry " + name);
        }
        if (e.getMethod() != ZipEntry.STORED) {
            throw new VectorFileFormatException(file, "zip entry " + name + " is compressed (method "
                    + e.getMethod() + "); torch.save stores entries uncompressed");
        }
        long claimed = e.getSize();
        if (claimed > Integer.MAX_VALUE - 8 && claimed <= fileSize) {
            throw new VectorFileFormatException(file, "zip entry " + name + " holds " + claimed
                    + " bytes; entries over 2 GiB are not read");
        }
        if (claimed < 0 || claimed > fileSize || e.getCompressedSize() != claimed) {
            throw new VectorFileFormatException(file, "zip entry " + name + " claims " + claimed
                    + " bytes, more than the whole file (" + fileSize + " bytes) or unlike its stored size");
        }
        try (InputStream in = zip.getInputStream(e)) {
            byte[] data = in.readNBytes((int) claimed);
            if (data.length != claimed || in.read() != -1) {
                throw new VectorFileFormatException(file, "zip entry " + name + " claims " + claimed
                        + " bytes but holds " + data.length + (data.length == claimed ? " or more" : ""));
            }
            return data;
        } catch (ZipException ze) {
            throw new VectorFileFormatException(file, "zip entry " + name + " cannot be read: " + ze.getMessage(),
                    ze);
        }
    }

    /**
     * Storage {@code data/KEY}, checked to hold exactly {@code numel} elements of {@code type}.
     *
     * @throws VectorFileFormatException if the key is not a plain name, the entry is missing, or its size is not
     *                                   what the pickle claims
     */
    TorchStorage storage(TorchStorageType type, String key, long numel) throws IOException {
        if (!STORAGE_KEY.matcher(key).matches()) {
            throw new VectorFileFormatException(file, "storage key is not a plain name of letters and digits");
        }
        if (numel < 0 || numel > fileSize / type.elementBytes()) {
            throw new VectorFileFormatException(file, "storage '" + key + "' claims " + numel + " "
                    + type.dtype() + " elements, more than the whole file (" + fileSize + " bytes) can hold");
        }
        String name = prefix + "/data/" + key;
        byte[] data = read(name);
        long expected = numel * type.elementBytes();
        if (data.length != expected) {
            throw new VectorFileFormatException(file, "storage '" + key + "' claims " + numel + " " + type.dtype()
                    + " elements (" + expected + " bytes) but zip entry " + name + " holds " + data.length
                    + " bytes");
        }
        return new TorchStorage(type, key, numel, ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN)
                .asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN));
    }

    @Override
    public void close() throws IOException {
        zip.close();
    }
}
