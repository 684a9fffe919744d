package io.steer4j.core.format.gguf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steer4j.core.format.VectorFileFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * F16, BF16 and Q8_0 tensors written by {@link GgufWriter} and read back by {@link GgufModelFile}, against goldens
 * computed independently with numpy by {@code src-test-fixtures/python/make_gguf_quant_goldens.py}.
 */
class GgufQuantizedTensorTest {
    @TempDir
    Path dir;

    private static JsonNode goldens() throws IOException {
        try (InputStream in = GgufQuantizedTensorTest.class.getResourceAsStream("/gguf/quant-goldens.json")) {
            return new ObjectMapper().readTree(in);
        }
    }

    private static float[] floats(JsonNode bits) {
        float[] out = new float[bits.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = Float.intBitsToFloat((int) bits.get(i).asLong());
        }
        return out;
    }

    private static int[] bitsOf(float[] values) {
        int[] out = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = Float.floatToRawIntBits(values[i]);
        }
        return out;
    }

    private static byte[] u16Bytes(JsonNode stored) {
        ByteBuffer b = ByteBuffer.allocate(2 * stored.size()).order(ByteOrder.LITTLE_ENDIAN);
        stored.forEach(v -> b.putShort((short) v.asInt()));
        return b.array();
    }

    /** Writes one tensor of {@code type} as a one-row matrix, reads it back: the stored bytes and the floats. */
    private record ReadBack(byte[] stored, float[] values) {
    }

    private ReadBack roundTrip(GgmlType type, float[] input) throws IOException {
        Path file = dir.resolve(type + ".gguf");
        new GgufWriter().putString("general.architecture", "test")
                .addTensor("t", new long[] {1, input.length}, type, input)
                .writeAtomically(file);
        try (GgufModelFile f = GgufModelFile.open(file)) {
            GgufTensorInfo t = f.tensor("t").orElseThrow();
            assertEquals(type, t.type());
            assertArrayEquals(new long[] {input.length, 1}, t.dims(), "GGUF lists the row length first");
            byte[] raw = new byte[(int) t.byteSize()];
            ByteBuffer.wrap(Files.readAllBytes(file)).position((int) t.offset()).get(raw);
            return new ReadBack(raw, f.floats(t));
        }
    }

    @Test
    void float16TensorsAreStoredRoundedToNearestEvenAsNumpyCastsThem() throws IOException {
        JsonNode g = goldens().get("f16");
        ReadBack r = roundTrip(GgmlType.F16, floats(g.get("input")));
        assertArrayEquals(u16Bytes(g.get("stored")), r.stored());
        assertArrayEquals(bitsOf(floats(g.get("decoded"))), bitsOf(r.values()));
    }

    @Test
    void bfloat16TensorsAreStoredAsGgmlRoundsThemWithNanKeptQuiet() throws IOException {
        JsonNode g = goldens().get("bf16");
        ReadBack r = roundTrip(GgmlType.BF16, floats(g.get("input")));
        assertArrayEquals(u16Bytes(g.get("stored")), r.stored());
        assertArrayEquals(bitsOf(floats(g.get("decoded"))), bitsOf(r.values()));
    }

    @Test
    void q8_0TensorsAreStoredAsGgmlQuantizeRowQ8_0RefWithHalvesRoundedAwayFromZero() throws IOException {
        JsonNode g = goldens().get("q8_0");
        ReadBack r = roundTrip(GgmlType.Q8_0, floats(g.get("input")));
        assertArrayEquals(HexFormat.of().parseHex(g.get("stored_hex").asText()), r.stored());
        assertArrayEquals(bitsOf(floats(g.get("decoded"))), bitsOf(r.values()));
    }

    @Test
    void q8_0RoundsHalvesAwayFromZeroWhereJavasMathRoundWouldNot() {
        assertEquals(-3, Q8Blocks.roundHalfAway(-2.5f));
        assertEquals(3, Q8Blocks.roundHalfAway(2.5f));
        assertEquals(0, Q8Blocks.roundHalfAway(0.49999997f));
    }

    @Test
    void float32TensorsComeBackBitForBit() throws IOException {
        float[] in = {1.1f, -0f, Float.MIN_VALUE, Float.MAX_VALUE, 3.14159f};
        assertArrayEquals(bitsOf(in), bitsOf(roundTrip(GgmlType.F32, in).values()));
    }

    @Test
    void metadataArraysAndScalarsComeBackAsWritten() throws IOException {
        Path file = dir.resolve("meta.gguf");
        new GgufWriter().putString("general.architecture", "llama").putUint32("llama.block_count", 5)
                .putFloat32("llama.rope.freq_base", 10000f).putBool("tokenizer.ggml.add_bos_token", true)
                .putStrings("tokenizer.ggml.tokens", List.of("<unk>", "▁a"))
                .putInt32s("tokenizer.ggml.token_type", new int[] {2, 1})
                .putFloat32s("tokenizer.ggml.scores", new float[] {0f, -1.5f})
                .writeAtomically(file);
        try (GgufModelFile f = GgufModelFile.open(file)) {
            assertEquals("llama", f.string("general.architecture"));
            assertEquals(5, f.integer("llama.block_count"));
            assertEquals(10000.0, f.real("llama.rope.freq_base"));
            assertEquals(true, f.metadata().get("tokenizer.ggml.add_bos_token"));
            assertEquals(List.of("<unk>", "▁a"), f.list("tokenizer.ggml.tokens", String.class));
            assertEquals(List.of(2L, 1L), f.list("tokenizer.ggml.token_type", Long.class));
            assertEquals(List.of(0.0, -1.5), f.list("tokenizer.ggml.scores", Double.class));
        }
    }

    @Test
    void aQ8_0RowThatIsNotAWholeNumberOfBlocksIsRefusedWhenWritten() {
        assertThrows(IllegalArgumentException.class,
                () -> new GgufWriter().addTensor("t", new long[] {2, 48}, GgmlType.Q8_0, new float[96]));
    }

    @Test
    void aTensorOfATypeSteer4jDoesNotReadIsRefusedByName() throws IOException {
        Path file = dir.resolve("q4.gguf");
        byte[] b = new GgufWriter().addTensor("blk.0.ffn_up.weight", new long[] {1, 32}, GgmlType.Q8_0, new float[32])
                .toBytes();
        // The type code follows the name, n_dims and dims: patch Q8_0 (8) to Q4_K (12).
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        int typeAt = 4 + 4 + 8 + 8 + 8 + "blk.0.ffn_up.weight".length() + 4 + 16;
        assertEquals(8, bb.getInt(typeAt));
        bb.putInt(typeAt, 12);
        Files.write(file, b);
        VectorFileFormatException e = assertThrows(VectorFileFormatException.class, () -> GgufModelFile.open(file));
        assertTrue(e.getMessage().contains("Q4_K") && e.getMessage().contains("q4.gguf"), e.getMessage());
    }

    @Test
    void aTruncatedModelFileNamesTheTensorThatRunsPastTheEnd() throws IOException {
        byte[] b = new GgufWriter().addTensor("token_embd.weight", new long[] {4, 32}, GgmlType.BF16, new float[128])
                .toBytes();
        Path file = dir.resolve("cut.gguf");
        Files.write(file, java.util.Arrays.copyOf(b, b.length - 100));
        VectorFileFormatException e = assertThrows(VectorFileFormatException.class, () -> GgufModelFile.open(file));
        assertTrue(e.getMessage().contains("token_embd.weight") && e.getMessage().contains("past"), e.getMessage());
    }
}
