package io.steer4j.djl.tokenizer;

import io.steer4j.djl.model.ModelLoadException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** An oversized tokenizer.json is refused by its size before the native tokenizer reads it. */
class TokenizerFileLimitTest {

    @TempDir
    Path dir;

    @Test
    void tokenizerJsonLargerThanTheCapIsRefusedWithoutReadingIt() throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(dir.resolve("tokenizer.json").toFile(), "rw")) {
            f.setLength(TokenizerFileLimit.MAX_BYTES + 1); // sparse: costs no disk
        }
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = mx.getThreadAllocatedBytes(Thread.currentThread().getId());

        ModelLoadException e = assertThrows(ModelLoadException.class, () -> TextTokenizer.load(dir));

        long allocated = mx.getThreadAllocatedBytes(Thread.currentThread().getId()) - before;
        assertTrue(e.getMessage().contains("tokenizer.json") && e.getMessage().contains("more than the"),
                e.getMessage());
        assertTrue(allocated < 1 << 20, allocated + " bytes allocated");
    }
}
