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

    /** Issue 27 row 8: an 84 MB tokenizer.json of 4.5 million entries took 1.7 GB and 10 s in the native library. */
    @Test
    void aVocabularyPastTheEntryCapIsRefusedBeforeTheNativeTokenizerReadsIt() throws IOException {
        Path file = dir.resolve("tokenizer.json");
        try (java.io.Writer w = java.nio.file.Files.newBufferedWriter(file)) {
            w.write("{\"version\":\"1.0\",\"added_tokens\":[],\"model\":{\"type\":\"BPE\",\"vocab\":{");
            for (int i = 0; i <= TokenizerFileLimit.MAX_ENTRIES; i++) {
                w.write((i == 0 ? "" : ",") + "\"t" + i + "\":" + i);
            }
            w.write("},\"merges\":[]}}");
        }
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = mx.getThreadAllocatedBytes(Thread.currentThread().getId());

        ModelLoadException e = assertThrows(ModelLoadException.class, () -> TextTokenizer.load(dir));

        long allocated = mx.getThreadAllocatedBytes(Thread.currentThread().getId()) - before;
        assertTrue(e.getMessage().contains("model.vocab has more than " + TokenizerFileLimit.MAX_ENTRIES),
                e.getMessage());
        // short-lived names only (the scan keeps nothing); the native library took 20x the file's size
        assertTrue(allocated < 4 * java.nio.file.Files.size(file), allocated + " bytes allocated");
    }

    @Test
    void aTokenizerJsonThatIsNotJsonIsDescribedWithoutQuotingIt() throws IOException {
        java.nio.file.Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": hf_CANARYsecretTOKEN}");

        ModelLoadException e = assertThrows(ModelLoadException.class, () -> TextTokenizer.load(dir));

        assertTrue(!e.getMessage().contains("CANARY") && e.getMessage().contains("line 1, column"), e.getMessage());
    }

    /** Found by ModelFileFuzzTest: tokenizers 0.21 aborted the JVM ("fatal runtime error") on this decoder. */
    @Test
    void aDecoderNumberTheNativeLibraryWouldAbortOnIsRefused() throws IOException {
        ModelLoadException e = refusalOfStoriesTokenizerWith("\"start\":\\s*1", "\"start\": 1e309");

        assertTrue(e.getMessage().contains("decoder holds a number at line"), e.getMessage());
    }

    @Test
    void aBadEscapeInADecoderStringIsRefusedInsteadOfAbortingTheProcess() throws IOException {
        // The tokenizers library panics and aborts the JVM on this ("unexpected end of hex escape"; found by the
        // model-file fuzz test): the check must decode the string first and refuse it by position.
        ModelLoadException e = refusalOfStoriesTokenizerWith("\"type\": \"Strip\", \"content\": \" \"",
                "\"type\": \"Strip\", \"content\": \"\\\\u12\"");

        assertTrue(e.getMessage().contains("line 1, column"), e.getMessage());
    }

    @Test
    void anUnpairedSurrogateEscapeInADecoderIsRefusedInsteadOfAbortingTheProcess() throws IOException {
        // Jackson accepts a lone \\uD83D, serde does not: inside a decoder that aborted the JVM (fuzzing found it).
        ModelLoadException e = refusalOfStoriesTokenizerWith("\"type\": \"Strip\", \"content\": \" \"",
                "\"type\": \"Strip\", \"content\": \"\\\\uD83Dx\"");

        assertTrue(e.getMessage().contains("unpaired UTF-16 surrogate"), e.getMessage());
    }

    @Test
    void aTemplateNamingASpecialTokenItsMapLacksIsRefusedInsteadOfAbortingTheProcess() throws IOException {
        // The tokenizers library aborts the JVM with "no entry found for key" on this (found by fuzzing).
        ModelLoadException e = refusalOfStoriesTokenizerWith("\"single\": \\[\\{\"SpecialToken\": \\{\"id\": \"<s>\"",
                "\"single\": [{\"SpecialToken\": {\"id\": \"<q>\"");

        assertTrue(e.getMessage().contains("special_tokens map lacks"), e.getMessage());
    }

    @Test
    void aSubwordPrefixLongerThanAMergesSecondPartIsRefusedInsteadOfAbortingTheProcess() throws IOException {
        // The BPE builder cuts the prefix off each merge's second part by byte index and aborts the JVM when it
        // cannot (found by fuzzing with another seed).
        ModelLoadException e = refusalOfStoriesTokenizerWith("\"continuing_subword_prefix\": null",
                "\"continuing_subword_prefix\": \"##########\"");

        assertTrue(e.getMessage().contains("continuing_subword_prefix (10 bytes)"), e.getMessage());
    }

    /** Loads a copy of stories260k's tokenizer.json with its first match of {@code regex} replaced: it must fail. */
    private ModelLoadException refusalOfStoriesTokenizerWith(String regex, String replacement) throws IOException {
        String good = java.nio.file.Files.readString(io.steer4j.djl.RealModels.require("stories260k")
                .resolve("tokenizer.json"));
        String bad = good.replaceFirst(regex, replacement);
        org.junit.jupiter.api.Assertions.assertNotEquals(good, bad, "the edit did not apply");
        java.nio.file.Files.writeString(dir.resolve("tokenizer.json"), bad);
        return assertThrows(ModelLoadException.class, () -> TextTokenizer.load(dir));
    }
}
