package io.steer4j.djl.hub;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The per-blob lock file {@code huggingface_hub} uses, {@code .locks/{repo folder}/{etag}.lock}, held while a
 * blob is written. Absent (a no-op) when the file has no etag, whose blob is named after its digest.
 */
final class BlobLock implements AutoCloseable {
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
