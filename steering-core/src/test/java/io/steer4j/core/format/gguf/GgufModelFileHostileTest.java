package io.steer4j.core.format.gguf;

import io.steer4j.core.format.VectorFileFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A GGUF model file is untrusted input: lying counts and sizes are refused with the file and the place named. */
class GgufModelFileHostileTest {
    @TempDir
    Path dir;

    private static ByteBuffer header(int capacity, long tensors, long kvs) {
        ByteBuffer b = ByteBuffer.allocate(capacity).order(ByteOrder.LITTLE_ENDIAN);
        b.put("GGUF".getBytes(StandardCharsets.US_ASCII)).putInt(3).putLong(tensors).putLong(kvs);
        return b;
    }

    private static void string(ByteBuffer b, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        b.putLong(bytes.length).put(bytes);
    }

    @Test
    void metadataArraysBeyondTheModelBoundAreRefusedBeforeTheyAreRead() throws IOException {
        int n = (int) GgufModelFile.MAX_ARRAY_ELEMENTS + 1;
        ByteBuffer b = header(128 + n, 0, 1);
        string(b, "tokenizer.ggml.token_type");
        b.putInt(GgufValueType.ARRAY.ordinal()).putInt(GgufValueType.UINT8.ordinal()).putLong(n);
        Path f = dir.resolve("big-array.gguf");
        Files.write(f, b.array());
        VectorFileFormatException e = assertThrows(VectorFileFormatException.class, () -> GgufModelFile.open(f));
        assertTrue(e.getMessage().contains("big-array.gguf") && e.getMessage().contains("'tokenizer.ggml.token_type'")
                && e.getMessage().contains(String.valueOf(GgufModelFile.MAX_ARRAY_ELEMENTS)), e.getMessage());
    }

    @Test
    void aStringLongerThanTheFileIsRefusedWithItsPlace() throws IOException {
        ByteBuffer b = header(64, 0, 1);
        string(b, "general.name");
        b.putInt(GgufValueType.STRING.ordinal()).putLong(1L << 40);
        Path f = dir.resolve("long-string.gguf");
        Files.write(f, b.array());
        VectorFileFormatException e = assertThrows(VectorFileFormatException.class, () -> GgufModelFile.open(f));
        assertTrue(e.getMessage().contains("long-string.gguf") && e.getMessage().contains("'general.name'")
                && e.getMessage().contains("truncated or corrupt"), e.getMessage());
    }

    @Test
    void aTensorWhoseDimensionsMultiplyPastTheFileIsRefusedByName() throws IOException {
        ByteBuffer b = header(256, 1, 0);
        string(b, "token_embd.weight");
        b.putInt(2).putLong(100).putLong(100).putInt(GgmlType.F32.code()).putLong(0);
        Path f = dir.resolve("lying-dims.gguf");
        Files.write(f, b.array());
        VectorFileFormatException e = assertThrows(VectorFileFormatException.class, () -> GgufModelFile.open(f));
        assertTrue(e.getMessage().contains("'token_embd.weight'") && e.getMessage().contains("past the end"),
                e.getMessage());
    }

    @Test
    void aMetadataValueOfTheWrongTypeIsNamedWithoutQuotingIt() throws IOException {
        Path f = dir.resolve("typed.gguf");
        new GgufWriter().putString("llama.block_count", "secret-ish text").putStrings("t", List.of("a")).writeAtomically(f);
        try (GgufModelFile g = GgufModelFile.open(f)) {
            VectorFileFormatException e = assertThrows(VectorFileFormatException.class,
                    () -> g.integer("llama.block_count"));
            assertTrue(e.getMessage().contains("'llama.block_count' is not an integer")
                    && !e.getMessage().contains("secret-ish"), e.getMessage());
        }
    }
}
