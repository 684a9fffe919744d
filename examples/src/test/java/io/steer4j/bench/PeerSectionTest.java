package io.steer4j.bench;

import io.steer4j.examples.TinyModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The peer section without llama.cpp installed, and the GGUF converter's output layout. That llama.cpp loads the
 * converted file and decodes the same greedy ids is checked by the section itself when the peer is installed.
 */
class PeerSectionTest {
    @Test
    void withoutThePeerInstalledTheSectionSaysSoAndSkips(@TempDir Path empty) {
        BenchRun run = BenchRun.of("bench", "--model", TinyModel.dir().toString(),
                    "--runs", "1", "--sections", "peer", "--peer", empty.toString());
        int code = run.code();
        String out = run.out();
        assertEquals(0, code, out);
        assertTrue(out.contains("node-llama-cpp is not installed"), out);
        assertTrue(out.contains("\"skipped\""), out);
    }

    @Test
    void theGpt2CheckpointBecomesAGgufV3WithLlamaCppTensorNames(@TempDir Path tmp) throws IOException {
        Path gguf = tmp.resolve("m.gguf");
        GgufModelWriter.convert(TinyModel.dir(), gguf);
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(gguf)).order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[4];
        b.get(magic);
        assertEquals("GGUF", new String(magic, StandardCharsets.US_ASCII));
        assertEquals(3, b.getInt());
        String text = new String(Files.readAllBytes(gguf), StandardCharsets.ISO_8859_1);
        for (String name : new String[] {"gpt2.block_count", "token_embd.weight", "position_embd.weight",
                "output.weight", "blk.0.attn_qkv.weight", "blk.2.ffn_down.bias", "tokenizer.ggml.tokens"}) {
            assertTrue(text.contains(name), name);
        }
    }

    @Test
    void aFamilyTheConverterDoesNotWriteIsRefusedByName(@TempDir Path tmp) throws IOException {
        Path dir = io.steer4j.fixtures.TinyFamily.NEOX.writeCheckpoint(tmp.resolve("neox"));
        IOException e = assertThrows(IOException.class, () -> GgufModelWriter.convert(dir, tmp.resolve("x.gguf")));
        assertTrue(e.getMessage().contains("gpt_neox"), e.getMessage());
    }
}
