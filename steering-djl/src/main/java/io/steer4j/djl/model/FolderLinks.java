package io.steer4j.djl.model;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.stream.Stream;

/**
 * The rule for symbolic links in a model folder, checked before any file of it is read: a link must point inside
 * the folder, or to a blob of a Hugging Face cache ({@code .../models--<org>--<name>/blobs/<hash>}), which is where
 * {@code huggingface_hub} and steer4j's own downloader point a snapshot's links (and where older
 * {@code huggingface-cli download --local-dir} pointed the large files of a local folder). Any other link is
 * refused, naming the link but not its target.
 *
 * <p>Why: every loader reads files by name ({@code config.json}, {@code vocab.json}, ...). A folder from an
 * untrusted source whose {@code config.json} links to {@code ~/.cache/huggingface/token} would otherwise have the
 * token read and, in older versions, quoted in a parse error. Refusing such links at the folder keeps every reader
 * (including those that describe errors less carefully) away from files the folder does not own. The folder itself
 * may be a link (its real path is used); links whose target does not exist are left to the reader, which reports
 * the missing file.
 */
final class FolderLinks {
    /** Entries examined at most (folders are searched three levels deep, the depth shard names use). */
    private static final int MAX_ENTRIES = 100_000;
    private static final int MAX_DEPTH = 3;

    private FolderLinks() {
    }

    /**
     * @throws ModelLoadException naming the first link that leaves the folder
     */
    static void check(Path folder) {
        Path real;
        try {
            real = folder.toRealPath();
        } catch (IOException e) {
            throw new ModelLoadException("cannot read the model folder " + folder + ": " + e.getMessage(), e);
        }
        Path blobs = hubBlobs(real);
        try (Stream<Path> entries = java.nio.file.Files.walk(real, MAX_DEPTH)) {
            Iterator<Path> it = entries.iterator();
            for (int n = 0; it.hasNext() && n < MAX_ENTRIES; n++) {
                Path entry = it.next();
                if (!java.nio.file.Files.isSymbolicLink(entry)) {
                    continue;
                }
                Path target;
                try {
                    target = entry.toRealPath();
                } catch (NoSuchFileException e) {
                    continue;
                }
                if (!target.startsWith(real) && (blobs == null || !target.startsWith(blobs)) && !isHubBlob(target)) {
                    throw new ModelLoadException(real.relativize(entry) + " in the model folder " + folder
                            + " is a symbolic link to a file outside the folder" + (blobs == null ? ""
                            : " and outside the hub cache's " + blobs) + "; steer4j refuses those so that a"
                            + " crafted folder cannot make it read other files (copy the file into the folder)");
                }
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new ModelLoadException("cannot list the model folder " + folder + ": " + e.getMessage(), e);
        }
    }

    /** Whether {@code target} is a file directly in a hub cache repository's {@code blobs/} folder. */
    private static boolean isHubBlob(Path target) {
        Path dir = target.getParent();
        Path repo = dir == null ? null : dir.getParent();
        return repo != null && dir.getFileName() != null && dir.getFileName().toString().equals("blobs")
                && repo.getFileName() != null && repo.getFileName().toString().startsWith("models--");
    }

    /** {@code <repo>/blobs} (real path) when {@code snapshot} is {@code <repo>/snapshots/<revision>}, else null. */
    private static Path hubBlobs(Path snapshot) {
        Path snapshots = snapshot.getParent();
        if (snapshots == null || snapshots.getFileName() == null
                || !snapshots.getFileName().toString().equals("snapshots") || snapshots.getParent() == null) {
            return null;
        }
        Path blobs = snapshots.getParent().resolve("blobs");
        try {
            return blobs.toRealPath();
        } catch (IOException e) {
            return null;
        }
    }
}
