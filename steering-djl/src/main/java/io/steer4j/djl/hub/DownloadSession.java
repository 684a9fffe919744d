package io.steer4j.djl.hub;

import io.steer4j.djl.hub.ModelResolutionException.Reason;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

/**
 * One download of one repository: the commit its files land in (once the hub has named it) and the snapshot
 * entries it places, {@code snapshots/{commit}/{file}} linked to their blobs.
 */
final class DownloadSession {
    private static final Logger LOG = LoggerFactory.getLogger(DownloadSession.class);

    final String modelRef;
    final String repo;
    final String revision;
    private final URI endpoint;
    private final HubCache cache;
    private String commit;
    /** Files linked into the snapshot so far: once one is, the snapshot's name may no longer change. */
    private int linked;

    DownloadSession(String modelRef, RepoRef ref, URI endpoint, HubCache cache) {
        this.modelRef = modelRef;
        this.repo = ref.canonicalId();
        this.revision = ref.revision;
        this.endpoint = endpoint;
        this.cache = cache;
        if (ref.revisionIsCommit()) {
            this.commit = ref.revision;
        }
    }

    /** The commit the hub named, or null while it has named none. */
    String commit() {
        return commit;
    }

    String urlRevision() {
        return commit != null ? commit : revision;
    }

    boolean snapshotKnown() {
        return commit != null;
    }

    /**
     * Takes the commit a response names. Every file of one download must land in one snapshot, so a header
     * that is not a safe folder name, that differs from the one before, or that appears only after files were
     * placed under the revision's name is refused, naming the header, instead of splitting the download.
     */
    void observeCommit(String header, String file) {
        String c = header.strip();
        String problem = null;
        if (!RepoRef.isSafeFolderName(c)) {
            problem = "an X-Repo-Commit header of " + RepoFileNames.printable(c) + " for " + file
                    + ", which is not a commit name a snapshot folder can have,";
        } else if (commit != null && !commit.equals(c)) {
            problem = "X-Repo-Commit " + RepoFileNames.printable(c) + " for " + file + " but "
                    + RepoFileNames.printable(commit) + " before it (one download must be one commit)";
        } else if (commit == null && linked > 0) {
            problem = "X-Repo-Commit " + RepoFileNames.printable(c) + " for " + file
                    + " but none for the files before it";
        }
        if (problem != null) {
            throw new ModelResolutionException(Reason.UNSAFE_RESPONSE, modelRef, "The hub at " + endpoint
                    + " sent " + problem + " while downloading '" + repo + "' at revision '" + revision
                    + "'. The mirror is broken or hostile; retrying does not help.");
        }
        commit = c;
    }

    Path snapshot() {
        if (commit != null) {
            return cache.snapshotDir(repo, commit);
        }
        if (RepoRef.isSafeFolderName(revision)) {
            return cache.snapshotDir(repo, revision); // hub sent no X-Repo-Commit: name it after the revision
        }
        throw new ModelResolutionException(Reason.NETWORK, modelRef, "The hub at " + endpoint
                + " did not send an X-Repo-Commit header for '" + repo + "' at revision '" + revision
                + "', so the snapshot cannot be named; is HF_ENDPOINT a Hugging Face hub?");
    }

    /**
     * Makes {@code snapshots/{commit}/{file}} point at the blob: a relative symlink as {@code huggingface_hub}
     * writes it, or a plain copy where symlinks are not allowed (e.g. Windows without developer mode).
     * The entry appears atomically (created under a temporary name, then renamed).
     */
    void link(String file, Path blob) throws IOException {
        Path target = snapshot().resolve(file);
        linked++;
        Files.createDirectories(target.getParent());
        Path tmp = target.resolveSibling("." + target.getFileName() + "." + UUID.randomUUID() + ".tmp");
        try {
            try {
                Files.createSymbolicLink(tmp, target.getParent().relativize(blob));
            } catch (UnsupportedOperationException | IOException e) {
                LOG.debug("symlink not possible ({}); copying {} into the snapshot", e.toString(), file);
                Files.copy(blob, tmp);
            }
            HubCache.moveAtomically(tmp, target);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** The repository lacks what a model needs. */
    ModelResolutionException unsupported(String what) {
        return new ModelResolutionException(Reason.UNSUPPORTED_REPOSITORY, modelRef, "Repository '" + repo
                + "' (revision '" + revision + "') at " + endpoint + " " + what + ".");
    }

    /** A body that cannot be trusted (too long, unbounded); nothing of it was kept. */
    ModelResolutionException unsafeBody(String file, String what) {
        return new ModelResolutionException(Reason.UNSAFE_RESPONSE, modelRef, file + " of '" + repo + "' from "
                + endpoint + " " + what + "; nothing was stored. HF_ENDPOINT or a server behind it is misconfigured"
                + " or hostile.");
    }
}
