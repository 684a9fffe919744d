package io.steer4j.djl.hub;

import io.steer4j.core.format.JsonFailure;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The on-disk layout of the Hugging Face hub cache, as written by {@code huggingface_hub}:
 * <pre>
 * {root}/models--{org}--{name}/refs/{revision}          (file holding a commit hash)
 * {root}/models--{org}--{name}/snapshots/{commit}/{file} (symlink into blobs/, or a plain file)
 * {root}/models--{org}--{name}/blobs/{etag}
 * </pre>
 */
final class HubCache {

    static final String CONFIG = "config.json";
    static final String WEIGHTS = "model.safetensors";
    static final String WEIGHTS_INDEX = "model.safetensors.index.json";
    static final String TOKENIZER = "tokenizer.json";
    static final String VOCAB = "vocab.json";
    static final String MERGES = "merges.txt";

    private static final ObjectMapper JSON = new ObjectMapper();

    final Path root;

    HubCache(Path root) {
        this.root = root;
    }

    Path repoDir(String repoId) {
        return root.resolve(RepoRef.folderName(repoId));
    }

    Path snapshotDir(String repoId, String commit) {
        return repoDir(repoId).resolve("snapshots").resolve(commit);
    }

    Path blobsDir(String repoId) {
        return repoDir(repoId).resolve("blobs");
    }

    Path lockFile(String repoId) {
        return root.resolve(".locks").resolve(RepoRef.folderName(repoId)).resolve("steer4j.lock");
    }

    /** The lock {@code huggingface_hub} takes while writing one blob: {@code .locks/{repo folder}/{etag}.lock}. */
    Path blobLockFile(String repoId, String etag) {
        return root.resolve(".locks").resolve(RepoRef.folderName(repoId)).resolve(etag + ".lock");
    }

    /** Result of a cache search: the complete snapshot if found, else what was looked at. */
    static final class Lookup {
        final Path snapshot;
        final List<String> searched;

        Lookup(Path snapshot, List<String> searched) {
            this.snapshot = snapshot;
            this.searched = searched;
        }
    }

    /** Looks for a complete snapshot of {@code ref} under its id and its alias. */
    Lookup find(RepoRef ref) {
        List<String> searched = new ArrayList<>();
        for (String id : ref.cacheCandidates()) {
            Path repoDir = repoDir(id);
            if (!Files.isDirectory(repoDir)) {
                searched.add(repoDir + " (absent)");
                continue;
            }
            Set<Path> snapshots = new LinkedHashSet<>();
            Optional<String> commit = readRef(id, ref.revision);
            commit.ifPresent(c -> snapshots.add(snapshotDir(id, c)));
            if (RepoRef.isSafeFolderName(ref.revision)) {
                // a commit hash passed as revision, or a snapshot folder named after the revision
                snapshots.add(snapshotDir(id, ref.revision));
            }
            List<String> notes = new ArrayList<>();
            for (Path snapshot : snapshots) {
                if (!Files.isDirectory(snapshot)) {
                    continue;
                }
                List<String> missing = missingFiles(snapshot);
                if (missing.isEmpty()) {
                    return new Lookup(snapshot, searched);
                }
                notes.add("snapshot " + snapshot.getFileName() + " lacks " + String.join(", ", missing));
            }
            if (notes.isEmpty()) {
                notes.add(commit.isPresent() ? "refs/" + ref.revision + " -> " + commit.get() + ", snapshot absent"
                        : "no refs/" + ref.revision + " and no snapshot for it");
            }
            searched.add(repoDir + " (" + String.join("; ", notes) + ")");
        }
        return new Lookup(null, searched);
    }

    Optional<String> readRef(String repoId, String revision) {
        Path refFile = repoDir(repoId).resolve("refs").resolve(revision);
        if (!Files.isRegularFile(refFile)) {
            return Optional.empty();
        }
        try {
            String commit = Files.readString(refFile, StandardCharsets.UTF_8).strip();
            return RepoRef.isSafeFolderName(commit) ? Optional.of(commit) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Writes {@code refs/{revision}} atomically (temp file, then move). */
    void writeRef(String repoId, String revision, String commit) throws IOException {
        Path refFile = repoDir(repoId).resolve("refs").resolve(revision);
        Files.createDirectories(refFile.getParent());
        Path tmp = Files.createTempFile(refFile.getParent(), ".ref-", ".tmp");
        try {
            Files.writeString(tmp, commit, StandardCharsets.UTF_8);
            moveAtomically(tmp, refFile);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * What a snapshot lacks to be usable: {@code config.json}, weights ({@code model.safetensors}, or the
     * index with all its shards) and a tokenizer ({@code tokenizer.json}, or {@code vocab.json} with
     * {@code merges.txt}). Empty when complete. Broken symlinks count as missing.
     */
    static List<String> missingFiles(Path snapshot) {
        List<String> missing = new ArrayList<>();
        if (!Files.isRegularFile(snapshot.resolve(CONFIG))) {
            missing.add(CONFIG);
        }
        if (!Files.isRegularFile(snapshot.resolve(WEIGHTS))) {
            Path index = snapshot.resolve(WEIGHTS_INDEX);
            if (Files.isRegularFile(index)) {
                try {
                    for (String shard : shardNames(index)) {
                        if (!Files.isRegularFile(snapshot.resolve(shard))) {
                            missing.add(shard);
                        }
                    }
                } catch (IOException e) {
                    missing.add(WEIGHTS_INDEX + " (unreadable: " + e.getMessage() + ")");
                }
            } else {
                missing.add(WEIGHTS + " (or " + WEIGHTS_INDEX + " with its shards)");
            }
        }
        boolean tokenizer = Files.isRegularFile(snapshot.resolve(TOKENIZER))
                || (Files.isRegularFile(snapshot.resolve(VOCAB)) && Files.isRegularFile(snapshot.resolve(MERGES)));
        if (!tokenizer) {
            missing.add(TOKENIZER + " (or " + VOCAB + " + " + MERGES + ")");
        }
        return missing;
    }

    /** The distinct shard file names listed in a safetensors index's {@code weight_map}, validated as relative paths. */
    static Set<String> shardNames(Path index) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(index.toFile());
        } catch (JsonProcessingException e) { // also nesting and other stream limits: the file's fault
            throw new BadRepositoryFileException(index.getFileName() + " is " + JsonFailure.describe(e));
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject() || map.size() == 0) {
            throw new IOException("no weight_map in " + index.getFileName());
        }
        Set<String> shards = new TreeSet<>();
        for (Iterator<JsonNode> it = map.elements(); it.hasNext(); ) {
            String name = it.next().asText("");
            if (!RepoFileNames.isSafe(name)) {
                throw new BadRepositoryFileException("unsafe shard file name " + RepoFileNames.printable(name) + " in "
                        + index.getFileName() + " (shard names must be relative paths inside the snapshot)");
            }
            shards.add(name);
            if (shards.size() > RepoFileNames.MAX_SHARDS) {
                throw new BadRepositoryFileException(index.getFileName() + " lists more than "
                        + RepoFileNames.MAX_SHARDS + " shard files (the largest published checkpoints have a few"
                        + " hundred)");
            }
        }
        return shards;
    }

    /**
     * A repository file is malformed or names a file that would leave its folder: the repository's fault, not the
     * disk's, so it is reported as an unsafe response rather than with advice about permissions and free space.
     */
    static final class BadRepositoryFileException extends IOException {
        private static final long serialVersionUID = 1L;

        BadRepositoryFileException(String message) {
            super(message);
        }
    }

    static void moveAtomically(Path source, Path target) throws IOException {
        try {
            Files.move(source, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(source, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
