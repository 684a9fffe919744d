package io.steer4j.djl.hub;

import io.steer4j.djl.hub.ModelResolutionException.Reason;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Downloads a repository snapshot from a Hugging Face hub endpoint into the hub cache: which files a model needs
 * (config, weights or their shards, tokenizer, optional files), each fetched with retries and its HTTP answer
 * interpreted (redirects, resumes, missing files, authentication, errors worth retrying).
 *
 * <p>The parts live beside it: {@link HubEndpoint} (URL layout, token, redirect rules), {@link BlobStore}
 * (bounded, verified, resumable blobs; see there why steer4j never writes {@code huggingface_hub}'s
 * {@code .incomplete} files), {@link DownloadSession} (the commit a download lands in and its snapshot links),
 * {@link StallWatch} (stalls, trickles, deadlines) and {@link DownloadProgress}. {@code refs/{revision}} is
 * written last. Downloads of one repository are serialised by an in-process lock plus a file lock under
 * {@code {cache}/.locks/}; each blob is written under {@code huggingface_hub}'s per-blob lock ({@link BlobLock}).
 */
final class HubDownloader {

    private static final Logger LOG = LoggerFactory.getLogger(HubDownloader.class);

    static final List<String> OPTIONAL_FILES =
            List.of("tokenizer_config.json", "generation_config.json", "special_tokens_map.json");
    private static final int MAX_REDIRECTS = 10;
    private static final long RETRY_BACKOFF_MILLIS = 500;
    private static final ConcurrentHashMap<Path, Object> JVM_LOCKS = new ConcurrentHashMap<>();

    private enum Outcome { PRESENT, DOWNLOADED, MISSING }

    private final HttpClient http;
    private final HubEndpoint hub;
    /** The endpoint's address, as error messages name it. */
    private final URI endpoint;
    private final int maxRetries;
    private final HubCache cache;
    private final BlobStore blobs;

    HubDownloader(HttpClient http, HubEndpoint hub, int maxRetries, BlobStore blobs, HubCache cache) {
        this.http = http;
        this.hub = hub;
        this.endpoint = hub.uri();
        this.maxRetries = maxRetries;
        this.blobs = blobs;
        this.cache = cache;
    }

    /**
     * Downloads {@code ref} and returns its snapshot folder. {@code recheck} is consulted once the repository
     * lock is held, so that a download finished meanwhile by another thread or process is reused.
     */
    Path download(RepoRef ref, String modelRef, Supplier<Path> recheck) {
        String repo = ref.canonicalId();
        Path lockFile = cache.lockFile(repo);
        Object jvmLock = JVM_LOCKS.computeIfAbsent(lockFile.toAbsolutePath().normalize(), k -> new Object());
        synchronized (jvmLock) {
            try {
                Files.createDirectories(lockFile.getParent());
                try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                     FileLock lock = channel.lock()) {
                    Path done = recheck.get();
                    if (done != null) {
                        return done;
                    }
                    return downloadLocked(new DownloadSession(modelRef, ref, endpoint, cache));
                }
            } catch (HubCache.BadRepositoryFileException e) {
                throw new ModelResolutionException(Reason.UNSAFE_RESPONSE, modelRef, "Repository '" + repo + "' at "
                        + endpoint + " has a file steer4j refuses: " + e.getMessage() + ". The repository"
                        + " or the mirror is broken or hostile; nothing outside the cache was touched.", e);
            } catch (IOException e) {
                throw new ModelResolutionException(Reason.IO, modelRef, "Could not write '" + repo
                        + "' into the Hugging Face cache " + cache.root + ": " + TransientFailure.describe(e)
                        + ". Check permissions and free space, or set HF_HUB_CACHE to a writable folder.", e);
            }
        }
    }

    private Path downloadLocked(DownloadSession s) throws IOException {
        LOG.info("Downloading {} (revision {}) from {} into {}", s.repo, s.revision, endpoint, cache.repoDir(s.repo));
        if (fetch(s, HubCache.CONFIG) == Outcome.MISSING) {
            throw new ModelResolutionException(Reason.REPOSITORY_NOT_FOUND, s.modelRef, "Repository '" + s.repo
                    + "' (revision '" + s.revision + "') was not found at " + endpoint + " (HTTP 404 for "
                    + HubCache.CONFIG + "). Check the repo id and revision, or pass a local model folder.");
        }
        if (fetch(s, HubCache.WEIGHTS) == Outcome.MISSING) {
            if (fetch(s, HubCache.WEIGHTS_INDEX) == Outcome.MISSING) {
                throw s.unsupported("has neither " + HubCache.WEIGHTS + " nor " + HubCache.WEIGHTS_INDEX
                        + " (only safetensors weights are supported; convert pytorch_model.bin to safetensors)");
            }
            for (String shard : HubCache.shardNames(s.snapshot().resolve(HubCache.WEIGHTS_INDEX))) {
                if (fetch(s, shard) == Outcome.MISSING) {
                    throw s.unsupported("lacks shard " + shard + " listed in " + HubCache.WEIGHTS_INDEX);
                }
            }
        }
        if (fetch(s, HubCache.TOKENIZER) == Outcome.MISSING
                && (fetch(s, HubCache.VOCAB) == Outcome.MISSING || fetch(s, HubCache.MERGES) == Outcome.MISSING)) {
            throw s.unsupported("has no tokenizer (" + HubCache.TOKENIZER + ", or " + HubCache.VOCAB + " + "
                    + HubCache.MERGES + ")");
        }
        for (String optional : OPTIONAL_FILES) {
            fetch(s, optional);
        }
        Path snapshot = s.snapshot();
        List<String> missing = HubCache.missingFiles(snapshot);
        if (!missing.isEmpty()) {
            throw new IOException("snapshot " + snapshot + " still lacks " + missing);
        }
        if (s.commit() != null && !s.commit().equals(s.revision)) {
            cache.writeRef(s.repo, s.revision, s.commit());
        }
        LOG.info("Downloaded {} (revision {}, commit {}) to {}", s.repo, s.revision, s.commit(), snapshot);
        return snapshot;
    }

    private Outcome fetch(DownloadSession s, String file) throws IOException {
        if (s.snapshotKnown() && Files.isRegularFile(s.snapshot().resolve(file))) {
            LOG.debug("{} already in snapshot {}", file, s.commit());
            return Outcome.PRESENT;
        }
        for (int attempt = 0; ; attempt++) {
            try {
                return fetchOnce(s, file);
            } catch (TransientFailure failure) {
                if (attempt >= maxRetries) {
                    throw new ModelResolutionException(Reason.NETWORK, s.modelRef, "Could not download " + file
                            + " of '" + s.repo + "' from " + endpoint + " after " + (attempt + 1) + " attempt(s): "
                            + failure.getMessage() + ". Check the network connection or proxy, set HF_ENDPOINT"
                            + " to use a mirror, or pass a local model folder.", failure.getCause());
                }
                long delay = RETRY_BACKOFF_MILLIS << Math.min(attempt, 4);
                LOG.warn("{}; retrying in {} ms ({}/{})", failure.getMessage(), delay, attempt + 1, maxRetries);
                sleep(s, delay);
            }
        }
    }

    private Outcome fetchOnce(DownloadSession s, String file) throws TransientFailure, IOException {
        URI uri = hub.resolveUri(s.repo, s.urlRevision(), file);
        String etag = null;
        long linkedSize = -1;
        boolean rangeSent = false;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            Path partial = blobs.resumablePartial(s.repo, etag);
            long have = partial != null && Files.isRegularFile(partial) ? Files.size(partial) : 0;
            if (have > 0) {
                rangeSent = true;
            }
            HttpResponse<InputStream> response;
            try {
                response = http.send(hub.request(uri, have), HttpResponse.BodyHandlers.ofInputStream());
            } catch (IOException e) {
                throw new TransientFailure("request to " + uri + " failed: " + TransientFailure.describe(e), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ModelResolutionException(Reason.NETWORK, s.modelRef, "Interrupted while downloading "
                        + file + " of '" + s.repo + "'", e);
            }
            try (InputStream body = response.body()) {
                HttpHeaders headers = response.headers();
                headers.firstValue("X-Repo-Commit").ifPresent(c -> s.observeCommit(c, file));
                if (etag == null) {
                    etag = BlobStore.etagOf(headers);
                }
                if (linkedSize < 0) {
                    linkedSize = headers.firstValue("X-Linked-Size").map(HubDownloader::parseLong).orElse(-1L);
                }
                int status = response.statusCode();
                if (status == 301 || status == 302 || status == 303 || status == 307 || status == 308) {
                    String location = headers.firstValue("Location").orElse(null);
                    if (location == null) {
                        throw new TransientFailure("HTTP " + status + " without Location from " + uri, null);
                    }
                    Path cached = blobs.existing(s.repo, etag);
                    if (cached != null) {
                        s.link(file, cached); // same content already cached
                        return Outcome.PRESENT;
                    }
                    URI from = uri;
                    try {
                        uri = HubEndpoint.redirectTarget(uri, location);
                    } catch (IllegalArgumentException e) {
                        throw new ModelResolutionException(Reason.UNSAFE_RESPONSE, s.modelRef, "Refused the redirect"
                                + " of " + file + " from " + from + ": " + e.getMessage() + ". HF_ENDPOINT or a"
                                + " server behind it is misconfigured or hostile.", e);
                    }
                    LOG.debug("{} redirected to {}", from, uri);
                    continue;
                }
                Path known = blobs.resumablePartial(s.repo, etag);
                if (status == 200 && !rangeSent && known != null && Files.isRegularFile(known)
                        && Files.size(known) > 0 && blobs.existing(s.repo, etag) == null) {
                    // A plain 200 told us the etag only now: ask again for just the missing part.
                    LOG.debug("{} of {} is partly downloaded; asking {} for the rest", file, s.repo, uri);
                    continue;
                }
                if (status == 200 || status == 206) {
                    return store(s, file, response, body, etag, linkedSize, have, partial);
                }
                if (status == 416 && partial != null) {
                    Files.deleteIfExists(partial);
                    throw new TransientFailure("HTTP 416 for a resumed download of " + file + "; restarting", null);
                }
                String errorCode = headers.firstValue("X-Error-Code").orElse("");
                String errorMessage = headers.firstValue("X-Error-Message").map(m -> " (" + m + ")").orElse("");
                if (errorCode.equals("RepositoryNotFound") || errorCode.equals("RevisionNotFound")) {
                    String what = errorCode.equals("RevisionNotFound")
                            ? "Revision '" + s.revision + "' of repository '" + s.repo + "'"
                            : "Repository '" + s.repo + "'";
                    throw new ModelResolutionException(Reason.REPOSITORY_NOT_FOUND, s.modelRef, what
                            + " was not found at " + endpoint + " (HTTP " + status + errorMessage + "). Check the"
                            + " repo id and revision; if the repository is private, set HF_TOKEN to a token with"
                            + " access.");
                }
                if (status == 404) {
                    LOG.debug("{} not found in {} (HTTP 404)", file, s.repo);
                    return Outcome.MISSING;
                }
                if (status == 401) {
                    throw new ModelResolutionException(Reason.AUTHENTICATION_REQUIRED, s.modelRef, "Repository '"
                            + s.repo + "' requires authentication (HTTP 401 for " + file + errorMessage + "): it is"
                            + " gated or private. " + (!hub.hasToken()
                            ? "Create a read token at " + endpoint + "/settings/tokens, accept the model's conditions"
                              + " at " + endpoint + "/" + s.repo + " if it is gated, and set HF_TOKEN."
                            : "The token in use was rejected: check that HF_TOKEN is valid."));
                }
                if (status == 403) {
                    throw new ModelResolutionException(Reason.ACCESS_DENIED, s.modelRef, "Access to repository '"
                            + s.repo + "' was denied (HTTP 403 for " + file + errorMessage + "). If the model is"
                            + " gated, accept its conditions at " + endpoint + "/" + s.repo + " and make sure"
                            + " HF_TOKEN belongs to that account and has read access.");
                }
                if (status == 429 || status >= 500) {
                    throw new TransientFailure("HTTP " + status + " from " + uri + errorMessage, null);
                }
                throw new ModelResolutionException(Reason.NETWORK, s.modelRef, "Unexpected HTTP " + status
                        + " from " + uri + errorMessage + " while downloading '" + s.repo + "'.");
            }
        }
        throw new TransientFailure("more than " + MAX_REDIRECTS + " redirects for " + file, null);
    }

    /** Checks the name, reuses a blob already present, else streams the body into a new blob; then links it. */
    private Outcome store(DownloadSession s, String file, HttpResponse<InputStream> response, InputStream body,
                          String etag, long linkedSize, long have, Path partial) throws TransientFailure, IOException {
        if (!RepoFileNames.isSafe(file)) {
            throw new HubCache.BadRepositoryFileException("unsafe file name " + RepoFileNames.printable(file));
        }
        Files.createDirectories(cache.blobsDir(s.repo));
        Path existing = blobs.existing(s.repo, etag);
        if (existing != null) {
            s.link(file, existing);
            return Outcome.PRESENT;
        }
        s.link(file, blobs.write(s, file, response, body, etag, linkedSize, have, partial));
        return Outcome.DOWNLOADED;
    }

    private static long parseLong(String value) {
        try {
            return Long.parseLong(value.strip());
        } catch (NumberFormatException e) {
            return -1L;
        }
    }

    private static void sleep(DownloadSession s, long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ModelResolutionException(Reason.NETWORK, s.modelRef, "Interrupted while waiting to retry"
                    + " the download of '" + s.repo + "'", e);
        }
    }
}
