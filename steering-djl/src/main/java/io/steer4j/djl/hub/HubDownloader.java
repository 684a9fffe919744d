package io.steer4j.djl.hub;

import io.steer4j.djl.hub.ModelResolutionException.Reason;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Downloads a repository snapshot from a Hugging Face hub endpoint into the hub cache, following the hub's
 * URL layout {@code GET {endpoint}/{repo}/resolve/{revision}/{file}}.
 *
 * <p>Each file is streamed to a file of steer4j's own in {@code blobs/}, never to the
 * {@code blobs/{etag}.incomplete} that Python's {@code huggingface_hub} appends to: Java's file locks are
 * {@code fcntl} locks on Linux while {@code huggingface_hub} (through {@code filelock}) takes {@code flock} locks,
 * and the two do not exclude each other, so a shared partial file could be grown by both at once. steer4j still
 * takes the same per-blob lock file, {@code .locks/{repo folder}/{etag}.lock} (excluding other steer4j processes,
 * and Python too on systems where the two kinds of lock interact). Once the body has arrived, the file's size
 * on disk must equal the declared size and, when the etag is a SHA-256 (LFS files), its content must hash to it;
 * only then is it renamed atomically to {@code blobs/{etag}} and linked into {@code snapshots/{commit}/};
 * {@code refs/{revision}} is written last. Only SHA-256-named partial files are resumed (with an HTTP range
 * request, on retry or on the next call), since only those are verified end to end: a resumed file can then never
 * splice two versions. Writing stops the moment a body exceeds its declared size, weights without any declared
 * size are refused, and a transfer fails when it stalls, falls below a minimum throughput or outlives a per-file
 * deadline. Redirects are followed by hand: only to http(s), never from https to http, and the token only to the
 * endpoint's own origin. Downloads of one repository are serialised by an in-process lock plus a file lock
 * under {@code {cache}/.locks/}.
 */
final class HubDownloader {

    private static final Logger LOG = LoggerFactory.getLogger(HubDownloader.class);

    static final List<String> OPTIONAL_FILES =
            List.of("tokenizer_config.json", "generation_config.json", "special_tokens_map.json");
    private static final int MAX_REDIRECTS = 10;
    private static final long PROGRESS_THRESHOLD_BYTES = 1L << 20;
    private static final long RETRY_BACKOFF_MILLIS = 500;
    private static final String USER_AGENT = "steer4j/0.1 (java.net.http)";
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    /** Largest body accepted for a file whose size no header declares (configs, tokenizers; never weights). */
    static final long MAX_UNDECLARED_BYTES = 64L << 20;
    private static final ConcurrentHashMap<Path, Object> JVM_LOCKS = new ConcurrentHashMap<>();

    private enum Outcome { PRESENT, DOWNLOADED, MISSING }

    /** A failure worth retrying: connection problems, truncated bodies, 5xx and 429 answers. */
    private static final class TransientFailure extends Exception {
        private static final long serialVersionUID = 1L;

        TransientFailure(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final HttpClient http;
    private final URI endpoint;
    private final String token;
    private final boolean progressBars;
    private final int maxRetries;
    private final Duration requestTimeout;
    private final Duration fileDeadline;
    private final long minBytesPerSecond;
    private final HubCache cache;

    HubDownloader(HttpClient http, URI endpoint, String token, boolean progressBars, int maxRetries,
                  Duration requestTimeout, Duration fileDeadline, long minBytesPerSecond, HubCache cache) {
        this.http = http;
        this.endpoint = endpoint;
        this.token = token;
        this.progressBars = progressBars;
        this.maxRetries = maxRetries;
        this.requestTimeout = requestTimeout;
        this.fileDeadline = fileDeadline;
        this.minBytesPerSecond = minBytesPerSecond;
        this.cache = cache;
    }

    /** Per-call state: which repository, and the commit once the hub has told us. */
    private final class Session {
        final String modelRef;
        final String repo;
        final String revision;
        String commit;
        /** Files linked into the snapshot so far: once one is, the snapshot's name may no longer change. */
        int linked;

        Session(String modelRef, String repo, String revision) {
            this.modelRef = modelRef;
            this.repo = repo;
            this.revision = revision;
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
                    Session session = new Session(modelRef, repo, ref.revision);
                    if (ref.revisionIsCommit()) {
                        session.commit = ref.revision;
                    }
                    return downloadLocked(session);
                }
            } catch (HubCache.BadRepositoryFileException e) {
                throw new ModelResolutionException(Reason.UNSAFE_RESPONSE, modelRef, "Repository '" + repo + "' at "
                        + endpoint + " has a file steer4j refuses: " + e.getMessage() + ". The repository"
                        + " or the mirror is broken or hostile; nothing outside the cache was touched.", e);
            } catch (IOException e) {
                throw new ModelResolutionException(Reason.IO, modelRef, "Could not write '" + repo
                        + "' into the Hugging Face cache " + cache.root + ": " + describe(e)
                        + ". Check permissions and free space, or set HF_HUB_CACHE to a writable folder.", e);
            }
        }
    }

    private Path downloadLocked(Session s) throws IOException {
        LOG.info("Downloading {} (revision {}) from {} into {}", s.repo, s.revision, endpoint, cache.repoDir(s.repo));
        if (fetch(s, HubCache.CONFIG) == Outcome.MISSING) {
            throw new ModelResolutionException(Reason.REPOSITORY_NOT_FOUND, s.modelRef, "Repository '" + s.repo
                    + "' (revision '" + s.revision + "') was not found at " + endpoint + " (HTTP 404 for "
                    + HubCache.CONFIG + "). Check the repo id and revision, or pass a local model folder.");
        }
        if (fetch(s, HubCache.WEIGHTS) == Outcome.MISSING) {
            if (fetch(s, HubCache.WEIGHTS_INDEX) == Outcome.MISSING) {
                throw unsupported(s, "has neither " + HubCache.WEIGHTS + " nor " + HubCache.WEIGHTS_INDEX
                        + " (only safetensors weights are supported; convert pytorch_model.bin to safetensors)");
            }
            for (String shard : HubCache.shardNames(s.snapshot().resolve(HubCache.WEIGHTS_INDEX))) {
                if (fetch(s, shard) == Outcome.MISSING) {
                    throw unsupported(s, "lacks shard " + shard + " listed in " + HubCache.WEIGHTS_INDEX);
                }
            }
        }
        if (fetch(s, HubCache.TOKENIZER) == Outcome.MISSING
                && (fetch(s, HubCache.VOCAB) == Outcome.MISSING || fetch(s, HubCache.MERGES) == Outcome.MISSING)) {
            throw unsupported(s, "has no tokenizer (" + HubCache.TOKENIZER + ", or " + HubCache.VOCAB + " + "
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
        if (s.commit != null && !s.commit.equals(s.revision)) {
            cache.writeRef(s.repo, s.revision, s.commit);
        }
        LOG.info("Downloaded {} (revision {}, commit {}) to {}", s.repo, s.revision, s.commit, snapshot);
        return snapshot;
    }

    private ModelResolutionException unsupported(Session s, String what) {
        return new ModelResolutionException(Reason.UNSUPPORTED_REPOSITORY, s.modelRef, "Repository '" + s.repo
                + "' (revision '" + s.revision + "') at " + endpoint + " " + what + ".");
    }

    private Outcome fetch(Session s, String file) throws IOException {
        if (s.snapshotKnown() && Files.isRegularFile(s.snapshot().resolve(file))) {
            LOG.debug("{} already in snapshot {}", file, s.commit);
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

    private Outcome fetchOnce(Session s, String file) throws TransientFailure, IOException {
        URI uri = resolveUri(s.repo, s.urlRevision(), file);
        String etag = null;
        long linkedSize = -1;
        boolean rangeSent = false;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            Path partial = resumablePartial(s.repo, etag);
            long have = partial != null && Files.isRegularFile(partial) ? Files.size(partial) : 0;
            HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(requestTimeout)
                    .header("User-Agent", USER_AGENT).GET();
            if (token != null && sameOrigin(uri, endpoint)) {
                request.header("Authorization", "Bearer " + token); // never sent to a CDN on another host
            }
            if (have > 0) {
                request.header("Range", "bytes=" + have + "-");
                rangeSent = true;
            }
            HttpResponse<InputStream> response;
            try {
                response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
            } catch (IOException e) {
                throw new TransientFailure("request to " + uri + " failed: " + describe(e), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ModelResolutionException(Reason.NETWORK, s.modelRef, "Interrupted while downloading "
                        + file + " of '" + s.repo + "'", e);
            }
            try (InputStream body = response.body()) {
                HttpHeaders headers = response.headers();
                headers.firstValue("X-Repo-Commit").ifPresent(c -> s.observeCommit(c, file));
                if (etag == null) {
                    etag = etagOf(headers);
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
                    if (etag != null && Files.isRegularFile(cache.blobsDir(s.repo).resolve(etag))) {
                        link(s, file, cache.blobsDir(s.repo).resolve(etag)); // same content already cached
                        return Outcome.PRESENT;
                    }
                    URI from = uri;
                    try {
                        uri = redirectTarget(uri, location);
                    } catch (IllegalArgumentException e) {
                        throw new ModelResolutionException(Reason.UNSAFE_RESPONSE, s.modelRef, "Refused the redirect"
                                + " of " + file + " from " + from + ": " + e.getMessage() + ". HF_ENDPOINT or a"
                                + " server behind it is misconfigured or hostile.", e);
                    }
                    LOG.debug("{} redirected to {}", from, uri);
                    continue;
                }
                Path known = resumablePartial(s.repo, etag);
                if (status == 200 && !rangeSent && known != null && Files.isRegularFile(known)
                        && Files.size(known) > 0 && !Files.isRegularFile(cache.blobsDir(s.repo).resolve(etag))) {
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
                            + " gated or private. " + (token == null
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

    /**
     * The partial file of a download that may be resumed later: only for SHA-256 etags, whose content is verified
     * end to end, so that bytes of two versions can never be spliced unnoticed. steer4j's own name, so that
     * {@code huggingface_hub}, which appends to {@code {etag}.incomplete}, never writes into it.
     */
    private Path resumablePartial(String repo, String etag) {
        return etag != null && SHA256.matcher(etag).matches()
                ? cache.blobsDir(repo).resolve(etag + ".steer4j.incomplete") : null;
    }

    /**
     * Where a redirect leads: {@code location} resolved against {@code from}, refused unless it is an absolute
     * http(s) URL with a host and does not downgrade https to http (a file fetched in clear could be replaced on
     * the way, and not every file has a checksum).
     *
     * @throws IllegalArgumentException naming the problem, for a malformed or refused location
     */
    static URI redirectTarget(URI from, String location) {
        URI to;
        try {
            to = from.resolve(location.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("malformed Location " + RepoFileNames.printable(location), e);
        }
        String scheme = to.getScheme() == null ? "" : to.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || to.getHost() == null) {
            throw new IllegalArgumentException("Location " + RepoFileNames.printable(location)
                    + " is not an http(s) URL with a host");
        }
        if ("https".equalsIgnoreCase(from.getScheme()) && scheme.equals("http")) {
            throw new IllegalArgumentException("Location " + RepoFileNames.printable(location)
                    + " downgrades https to http");
        }
        return to;
    }

    /** Streams a 200/206 body into {@code blobs/}, verifies it, and links it into the snapshot. */
    private Outcome store(Session s, String file, HttpResponse<InputStream> response, InputStream body, String etag,
                          long linkedSize, long have, Path partial) throws TransientFailure, IOException {
        if (!RepoFileNames.isSafe(file)) {
            throw new HubCache.BadRepositoryFileException("unsafe file name " + RepoFileNames.printable(file));
        }
        Path blobs = cache.blobsDir(s.repo);
        Files.createDirectories(blobs);
        if (etag != null && Files.isRegularFile(blobs.resolve(etag))) {
            link(s, file, blobs.resolve(etag));
            return Outcome.PRESENT;
        }
        HttpHeaders headers = response.headers();
        boolean resume = response.statusCode() == 206 && have > 0 && partial != null
                && headers.firstValue("Content-Range").orElse("").startsWith("bytes " + have + "-");
        if (response.statusCode() == 206 && !resume) {
            if (partial != null) {
                Files.deleteIfExists(partial);
            }
            throw new TransientFailure("unexpected partial content for " + file + "; restarting", null);
        }
        long contentLength = headers.firstValueAsLong("Content-Length").orElse(-1L);
        long total = linkedSize >= 0 ? linkedSize
                : contentLength >= 0 ? (resume ? have + contentLength : contentLength) : -1;
        if (total < 0 && file.endsWith(".safetensors")) {
            throw unsafeBody(s, file, "arrived with no declared size (neither X-Linked-Size nor Content-Length),"
                    + " so it could not be bounded or checked");
        }
        long limit = total >= 0 ? total : MAX_UNDECLARED_BYTES;
        Path target = partial != null ? partial : blobs.resolve("steer4j-" + UUID.randomUUID() + ".incomplete");
        long written = resume ? have : 0;
        if (resume) {
            LOG.info("Resuming {} of {} at {} bytes", file, s.repo, written);
        } else if (total >= 0) {
            LOG.debug("Downloading {} of {} ({} bytes)", file, s.repo, total);
        }
        OpenOption[] options = resume
                ? new OpenOption[] {StandardOpenOption.WRITE, StandardOpenOption.APPEND}
                : new OpenOption[] {StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING};
        boolean moved = false;
        try (BlobLock ignored = BlobLock.take(cache, s.repo, etag)) {
            StallWatch watch = new StallWatch(body, requestTimeout, fileDeadline, minBytesPerSecond);
            try (OutputStream out = Files.newOutputStream(target, options);
                 ProgressBar bar = progressBar(s.repo, file, total, written)) {
                byte[] buffer = new byte[1 << 16];
                while (true) {
                    int n;
                    try {
                        n = body.read(buffer);
                    } catch (IOException e) {
                        String why = watch.failure();
                        throw new TransientFailure("transfer of " + file + " broke off after " + written
                                + (total >= 0 ? " of " + total : "") + " bytes: "
                                + (why != null ? why : describe(e)), e);
                    }
                    if (n < 0) {
                        break;
                    }
                    if (written + n > limit) { // stop before writing a byte past what was declared
                        Files.deleteIfExists(target);
                        throw unsafeBody(s, file, total >= 0
                                ? "sent more than its declared " + total + " bytes"
                                : "exceeded " + MAX_UNDECLARED_BYTES + " bytes without a declared size");
                    }
                    watch.progress(n);
                    out.write(buffer, 0, n);
                    written += n;
                    if (bar != null) {
                        bar.stepBy(n);
                    }
                }
            } finally {
                watch.stop();
            }
            // What is checked is the file on disk, not the stream: only what will be renamed counts.
            long onDisk = Files.size(target);
            if (total >= 0 && onDisk != total) {
                if (onDisk > total) {
                    Files.deleteIfExists(target);
                }
                throw new TransientFailure("transfer of " + file + " ended after " + onDisk + " of " + total
                        + " bytes", null);
            }
            boolean checksummed = etag != null && SHA256.matcher(etag).matches();
            String digest = checksummed || etag == null ? sha256Of(target) : null;
            if (checksummed && !etag.equals(digest)) {
                Files.deleteIfExists(target);
                throw new TransientFailure("checksum mismatch for " + file + " (expected sha256 " + etag
                        + ", got " + digest + ")", null);
            }
            Path blob = blobs.resolve(etag != null ? etag : digest);
            HubCache.moveAtomically(target, blob);
            moved = true;
            link(s, file, blob);
            return Outcome.DOWNLOADED;
        } finally {
            if (!moved && partial == null) {
                Files.deleteIfExists(target); // nameless partials cannot be resumed
            }
        }
    }

    private ModelResolutionException unsafeBody(Session s, String file, String what) {
        return new ModelResolutionException(Reason.UNSAFE_RESPONSE, s.modelRef, file + " of '" + s.repo + "' from "
                + endpoint + " " + what + "; nothing was stored. HF_ENDPOINT or a server behind it is misconfigured"
                + " or hostile.");
    }

    /**
     * The per-blob lock file {@code huggingface_hub} uses, {@code .locks/{repo folder}/{etag}.lock}, held while a
     * blob is written. Absent (a no-op) when the file has no etag, whose blob is named after its digest.
     */
    private static final class BlobLock implements AutoCloseable {
        private final FileChannel channel;
        private final FileLock lock;

        private BlobLock(FileChannel channel, FileLock lock) {
            this.channel = channel;
            this.lock = lock;
        }

        static BlobLock take(HubCache cache, String repo, String etag) throws IOException {
            if (etag == null) {
                return new BlobLock(null, null);
            }
            Path file = cache.blobLockFile(repo, etag);
            Files.createDirectories(file.getParent());
            FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            try {
                return new BlobLock(channel, channel.lock());
            } catch (IOException | RuntimeException e) {
                channel.close();
                throw e;
            }
        }

        @Override
        public void close() throws IOException {
            if (channel != null) {
                try {
                    lock.release();
                } finally {
                    channel.close();
                }
            }
        }
    }

    /**
     * Closes a response body that delivers no data for a whole timeout, that brings less than the minimum
     * throughput over a timeout-long window, or whose file outlives the per-file deadline, so that a stalled or
     * trickling server fails the read (java.net.http has no read timeout for bodies) instead of holding the caller.
     */
    private static final class StallWatch {
        private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "steer4j-download-watchdog");
            thread.setDaemon(true);
            return thread;
        });

        private final long started = System.nanoTime();
        private final AtomicLong lastProgress = new AtomicLong(started);
        private final AtomicLong bytes = new AtomicLong();
        private final AtomicReference<String> failure = new AtomicReference<>();
        private final ScheduledFuture<?> task;
        private long windowStart = started;
        private long windowBytes;

        StallWatch(InputStream body, Duration timeout, Duration deadline, long minBytesPerSecond) {
            long limit = timeout.toNanos();
            long period = Math.max(10, Math.min(1000, Math.min(timeout.toMillis(), deadline.toMillis()) / 4));
            task = TIMER.scheduleAtFixedRate(() -> {
                long now = System.nanoTime();
                String why = null;
                if (now - lastProgress.get() > limit) {
                    why = "no data for " + timeout.toMillis() + " ms";
                } else if (now - started > deadline.toNanos()) {
                    why = "not complete within the per-file deadline of " + deadline.toSeconds() + " s";
                } else if (now - windowStart >= limit) {
                    long got = bytes.get() - windowBytes;
                    double rate = got * 1e9 / (now - windowStart);
                    if (got > 0 && rate < minBytesPerSecond) { // no bytes at all is the stall rule's to report
                        why = String.format(Locale.ROOT, "%.0f bytes/s over the last %d ms, below the minimum of %d"
                                + " bytes/s", rate, (now - windowStart) / 1_000_000, minBytesPerSecond);
                    }
                    windowStart = now;
                    windowBytes = bytes.get();
                }
                if (why != null && failure.compareAndSet(null, why)) {
                    try {
                        body.close();
                    } catch (IOException ignored) {
                        // the reader fails either way
                    }
                }
            }, period, period, TimeUnit.MILLISECONDS);
        }

        void progress(int n) {
            bytes.addAndGet(n);
            lastProgress.set(System.nanoTime());
        }

        /** Why the body was closed, or null when it was not. */
        String failure() {
            return failure.get();
        }

        void stop() {
            task.cancel(false);
        }
    }

    /**
     * Makes {@code snapshots/{commit}/{file}} point at the blob: a relative symlink as {@code huggingface_hub}
     * writes it, or a plain copy where symlinks are not allowed (e.g. Windows without developer mode).
     * The entry appears atomically (created under a temporary name, then renamed).
     */
    private void link(Session s, String file, Path blob) throws IOException {
        Path target = s.snapshot().resolve(file);
        s.linked++;
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

    private ProgressBar progressBar(String repo, String file, long total, long start) {
        if (!progressBars || total < PROGRESS_THRESHOLD_BYTES) {
            return null;
        }
        return new ProgressBarBuilder()
                .setTaskName(repo.substring(repo.indexOf('/') + 1) + "/" + file)
                .setInitialMax(total)
                .setUnit("MiB", 1L << 20)
                .showSpeed()
                .setUpdateIntervalMillis(500)
                .startsFrom(start, Duration.ZERO)
                .build();
    }

    URI resolveUri(String repo, String revision, String file) {
        String base = endpoint.toString();
        while (base.endsWith("/")) {
            base = base.substring(0, base.length() - 1);
        }
        StringBuilder path = new StringBuilder(base).append('/').append(repo).append("/resolve/")
                .append(encode(revision));
        for (String segment : file.split("/")) {
            path.append('/').append(encode(segment));
        }
        return URI.create(path.toString());
    }

    private static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    static boolean sameOrigin(URI a, URI b) {
        return a.getScheme() != null && a.getScheme().equalsIgnoreCase(b.getScheme())
                && a.getHost() != null && a.getHost().equalsIgnoreCase(b.getHost())
                && port(a) == port(b);
    }

    private static int port(URI uri) {
        if (uri.getPort() >= 0) {
            return uri.getPort();
        }
        return "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
    }

    /** {@code X-Linked-Etag} (LFS files, the content's SHA-256) or {@code ETag}, unquoted; null if unusable. */
    static String etagOf(HttpHeaders headers) {
        String raw = headers.firstValue("X-Linked-Etag").orElseGet(() -> headers.firstValue("ETag").orElse(null));
        if (raw == null) {
            return null;
        }
        String etag = raw.strip();
        if (etag.startsWith("W/")) {
            etag = etag.substring(2);
        }
        if (etag.length() >= 2 && etag.startsWith("\"") && etag.endsWith("\"")) {
            etag = etag.substring(1, etag.length() - 1);
        }
        etag = etag.toLowerCase(Locale.ROOT);
        return RepoRef.isSafeFolderName(etag) && !etag.endsWith(".incomplete") ? etag : null;
    }

    private static long parseLong(String value) {
        try {
            return Long.parseLong(value.strip());
        } catch (NumberFormatException e) {
            return -1L;
        }
    }

    private static String sha256Of(Path file) throws IOException {
        MessageDigest digest = sha256();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) >= 0; ) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }

    private static void sleep(Session s, long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ModelResolutionException(Reason.NETWORK, s.modelRef, "Interrupted while waiting to retry"
                    + " the download of '" + s.repo + "'", e);
        }
    }

    static String describe(Throwable e) {
        String message = e.getMessage();
        return e.getClass().getSimpleName() + (message == null || message.isBlank() ? "" : ": " + message);
    }
}
