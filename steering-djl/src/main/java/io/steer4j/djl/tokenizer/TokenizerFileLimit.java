package io.steer4j.djl.tokenizer;

import io.steer4j.djl.model.ModelLoadException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The size cap on tokenizer files, checked before the native tokenizer reads them whole into memory. The largest
 * published {@code tokenizer.json} files (256k-token vocabularies) are about 35 MB; a file many times that is
 * crafted or corrupt, and would otherwise cost its full size in native memory before failing, if it fails at all.
 */
final class TokenizerFileLimit {
    /** Tokenizer files larger than this are refused (128 MiB). */
    static final long MAX_BYTES = 128L << 20;

    private TokenizerFileLimit() {
    }

    /**
     * @throws ModelLoadException naming the file and its size when it is larger than {@link #MAX_BYTES}
     */
    static void check(Path file) throws IOException {
        long size = Files.size(file);
        if (size > MAX_BYTES) {
            throw new ModelLoadException(file + " is " + size + " bytes, more than the " + MAX_BYTES
                    + " bytes a tokenizer file may have (real ones are under 40 MB): crafted or corrupt?");
        }
    }
}
