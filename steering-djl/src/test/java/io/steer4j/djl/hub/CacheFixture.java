package io.steer4j.djl.hub;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes hub-cache layouts ({@code models--org--name/refs|snapshots}) the way huggingface_hub leaves them. */
final class CacheFixture {

    static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";
    static final String OTHER_COMMIT = "fedcba9876543210fedcba9876543210fedcba98";

    private CacheFixture() {
    }

    /** A complete snapshot {@code commit} of {@code repoId}, with {@code refs/{revision}} pointing at it. */
    static Path completeSnapshot(Path cache, String repoId, String revision, String commit) throws IOException {
        Path snapshot = snapshotWith(cache, repoId, commit, "config.json", "model.safetensors", "tokenizer.json");
        writeRef(cache, repoId, revision, commit);
        return snapshot;
    }

    static Path snapshotWith(Path cache, String repoId, String snapshotName, String... files) throws IOException {
        Path snapshot = cache.resolve(RepoRef.folderName(repoId)).resolve("snapshots").resolve(snapshotName);
        Files.createDirectories(snapshot);
        for (String file : files) {
            Files.writeString(snapshot.resolve(file), "{}", StandardCharsets.UTF_8);
        }
        return snapshot;
    }

    static void writeRef(Path cache, String repoId, String revision, String commit) throws IOException {
        Path ref = cache.resolve(RepoRef.folderName(repoId)).resolve("refs").resolve(revision);
        Files.createDirectories(ref.getParent());
        Files.writeString(ref, commit, StandardCharsets.UTF_8);
    }
}
