package io.steer4j.djl.eval;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Objects;

/** Writes a file through a temp file in the same folder and a move, so no half-written file is ever left. */
final class AtomicFiles {
    private AtomicFiles() {
    }

    /** The body of a write. */
    interface Body {
        void write(OutputStream os) throws IOException;
    }

    static void write(Path file, Body body) throws IOException {
        Objects.requireNonNull(file, "file");
        Path abs = file.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        Path tmp = Files.createTempFile(dir, "." + abs.getFileName() + ".", ".tmp");
        try {
            try {
                // Temp files are private; the result should read like any other file the user writes.
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system: keep its defaults
            }
            try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(tmp))) {
                body.write(os);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
