package io.steer4j.djl.hub;

import me.tongfei.progressbar.ProgressBar;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.http.HttpHeaders;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The cache's {@code blobs/} folders as steer4j writes them: a response body is streamed to a partial file of
 * steer4j's own, bounded by its declared size, checked against that size and, for SHA-256 etags (LFS files),
 * against the hash, and only then renamed atomically to {@code blobs/{etag}} (or {@code blobs/{sha256}} when the
 * hub sent no usable etag). Writing stops the moment a body exceeds its declared size, and weights without any
 * declared size are refused.
 *
 * <p>Why never the {@code blobs/{etag}.incomplete} that Python's {@code huggingface_hub} appends to: Java's file
 * locks are {@code fcntl} locks on Linux while {@code huggingface_hub} (through {@code filelock}) takes
 * {@code flock} locks, and the two do not exclude each other, so a shared partial file could be grown by both at
 * once. steer4j still takes the same per-blob lock file ({@link BlobLock}), excluding other steer4j processes, and
 * Python too on systems where the two kinds of lock interact. Only SHA-256-named partial files are resumed (with an
 * HTTP range request, on retry or on the next call), since only those are verified end to end: a resumed file can
 * then never splice two versions.
 */
final class BlobStore {
    private static final Logger LOG = LoggerFactory.getLogger(BlobStore.class);
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    /** Largest body accepted for a file whose size no header declares (configs, tokenizers; never weights). */
    static final long MAX_UNDECLARED_BYTES = 64L << 20;

    private final HubCache cache;
    private final boolean progressBars;
    private final Duration requestTimeout;
    private final Duration fileDeadline;
    private final long minBytesPerSecond;

    BlobStore(HubCache cache, boolean progressBars, Duration requestTimeout, Duration fileDeadline,
              long minBytesPerSecond) {
        this.cache = cache;
        this.progressBars = progressBars;
        this.requestTimeout = requestTimeout;
        this.fileDeadline = fileDeadline;
        this.minBytesPerSecond = minBytesPerSecond;
    }

    /** The finished blob of {@code etag}, or null when there is none yet (or no etag). */
    Path existing(String repo, String etag) {
        if (etag == null) {
            return null;
        }
        Path blob = cache.blobsDir(repo).resolve(etag);
        return Files.isRegularFile(blob) ? blob : null;
    }

    /**
     * The partial file of a download that may be resumed later: only for SHA-256 etags, whose content is verified
     * end to end, so that bytes of two versions can never be spliced unnoticed. steer4j's own name, so that
     * {@code huggingface_hub}, which appends to {@code {etag}.incomplete}, never writes into it.
     */
    Path resumablePartial(String repo, String etag) {
        return etag != null && SHA256.matcher(etag).matches()
                ? cache.blobsDir(repo).resolve(etag + ".steer4j.incomplete") : null;
    }

    /**
     * Streams a 200/206 body into {@code blobs/} and returns the verified blob.
     *
     * @param have     bytes of {@code partial} present when the request was sent (its range start)
     * @param partial  the resumable partial file, or null when this download cannot be resumed
     */
    Path write(DownloadSession s, String file, HttpResponse<InputStream> response, InputStream body, String etag,
               long linkedSize, long have, Path partial) throws TransientFailure, IOException {
        Path blobs = cache.blobsDir(s.repo);
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
            throw s.unsafeBody(file, "arrived with no declared size (neither X-Linked-Size nor Content-Length),"
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
                 ProgressBar bar = DownloadProgress.start(progressBars, s.repo, file, total, written)) {
                byte[] buffer = new byte[1 << 16];
                while (true) {
                    int n;
                    try {
                        n = body.read(buffer);
                    } catch (IOException e) {
                        String why = watch.failure();
                        throw new TransientFailure("transfer of " + file + " broke off after " + written
                                + (total >= 0 ? " of " + total : "") + " bytes: "
                                + (why != null ? why : TransientFailure.describe(e)), e);
                    }
                    if (n < 0) {
                        break;
                    }
                    if (written + n > limit) { // stop before writing a byte past what was declared
                        Files.deleteIfExists(target);
                        throw s.unsafeBody(file, total >= 0
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
            return blob;
        } finally {
            if (!moved && partial == null) {
                Files.deleteIfExists(target); // nameless partials cannot be resumed
            }
        }
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

    private static String sha256Of(Path file) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) >= 0; ) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
