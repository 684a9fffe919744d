package io.steer4j.examples;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ExamplesOutputPathTest {
    @Test
    void anOutputTheUserNamesIsUsedAsGiven() throws IOException {
        assertEquals(Path.of("some/where/v.gguf"), Examples.outputPath(new String[] {"gpt2", "some/where/v.gguf"}, 1,
                "sentiment.gguf"));
    }

    @Test
    void withoutOneTheExampleWritesIntoAFreshTemporaryFolderNotTheCurrentDirectory() throws IOException {
        Path out = Examples.outputPath(new String[] {"gpt2"}, 1, "sentiment.gguf");
        Path cwd = Path.of("").toAbsolutePath();
        assertEquals("sentiment.gguf", out.getFileName().toString());
        assertTrue(out.isAbsolute() && Files.isDirectory(out.getParent()), out.toString());
        assertTrue(out.startsWith(Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath()), out.toString());
        assertFalse(out.getParent().equals(cwd), out.toString());
        Files.delete(out.getParent());
    }
}
