package io.steer4j.bench;

import io.steer4j.core.format.safetensors.SafetensorsHeader;
import io.steer4j.examples.TinyModel;
import io.steer4j.fixtures.TinyFamily;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every tensor the benchmark's GGUF model writer writes, read back from the file by an independent GGUF v3 reader
 * (written here from the format's specification, not sharing code with the writer) and compared value for value
 * with the Hugging Face checkpoint under llama.cpp's layout rules: dimensions innermost first, GPT-2's Conv1D
 * weights transposed, Llama's query/key rows in interleaved rotary order, the tied head written out.
 */
class GgufModelWriterReadBackTest {
    /**
     * One tensor as read back: its shape in GGUF order (innermost first), its ggml type, its values decoded by this
     * test, and for Q8_0 the stored block scales and int8 values.
     */
    private record ReadTensor(long[] ggufDims, int type, float[] values, float[] scales, byte[] quants) {
        ReadTensor(long[] ggufDims, float[] values) {
            this(ggufDims, 0, values, null, null);
        }
    }

    @Test
    void everyGpt2TensorReadsBackAsTheCheckpointInLlamaCppLayout(@TempDir Path tmp) throws IOException {
        Path dir = TinyModel.dir();
        Path gguf = tmp.resolve("gpt2.gguf");
        GgufModelWriter.convert(dir, gguf);
        Map<String, ReadTensor> t = readAll(gguf);
        try (Checkpoint c = new Checkpoint(dir)) {
            String p = c.has("wte.weight") ? "" : "transformer.";
            float[] wte = c.floats(p + "wte.weight");
            int d = c.shape(p + "wte.weight")[1];
            int vocab = c.shape(p + "wte.weight")[0];
            int layers = 0;
            while (c.has(p + "h." + layers + ".ln_1.weight")) {
                layers++;
            }
            int expected = 5 + 12 * layers;
            assertEquals(expected, t.size(), "tensor count");
            same(t, "token_embd.weight", new long[] {d, vocab}, wte);
            same(t, "output.weight", new long[] {d, vocab}, c.has("lm_head.weight") ? c.floats("lm_head.weight") : wte);
            same(t, "position_embd.weight", reversed(c.shape(p + "wpe.weight")), c.floats(p + "wpe.weight"));
            same(t, "output_norm.weight", new long[] {d}, c.floats(p + "ln_f.weight"));
            same(t, "output_norm.bias", new long[] {d}, c.floats(p + "ln_f.bias"));
            for (int l = 0; l < layers; l++) {
                String h = p + "h." + l + ".";
                String b = "blk." + l + ".";
                for (String[] pair : new String[][] {{"attn_norm", "ln_1"}, {"ffn_norm", "ln_2"}}) {
                    same(t, b + pair[0] + ".weight", new long[] {d}, c.floats(h + pair[1] + ".weight"));
                    same(t, b + pair[0] + ".bias", new long[] {d}, c.floats(h + pair[1] + ".bias"));
                }
                for (String[] pair : new String[][] {{"attn_qkv", "attn.c_attn"}, {"attn_output", "attn.c_proj"},
                        {"ffn_up", "mlp.c_fc"}, {"ffn_down", "mlp.c_proj"}}) {
                    int[] conv = c.shape(h + pair[1] + ".weight"); // Conv1D: [in, out]
                    float[] w = c.floats(h + pair[1] + ".weight");
                    ReadTensor got = t.get(b + pair[0] + ".weight");
                    assertArrayEquals(new long[] {conv[0], conv[1]}, got.ggufDims(), b + pair[0] + " dims");
                    for (int in = 0; in < conv[0]; in++) {
                        for (int out = 0; out < conv[1]; out++) {
                            assertEquals(w[in * conv[1] + out], got.values()[out * conv[0] + in],
                                    b + pair[0] + ".weight[" + out + "][" + in + "]");
                        }
                    }
                    same(t, b + pair[0] + ".bias", new long[] {conv[1]}, c.floats(h + pair[1] + ".bias"));
                }
            }
        }
    }

    @Test
    void everyLlamaTensorReadsBackWithQueryAndKeyRowsInInterleavedRotaryOrder(@TempDir Path tmp)
            throws IOException {
        Path dir = TinyFamily.LLAMA.writeCheckpoint(tmp.resolve("llama"));
        Path gguf = tmp.resolve("llama.gguf");
        GgufModelWriter.convert(dir, gguf);
        Map<String, ReadTensor> t = readAll(gguf);
        var config = new com.fasterxml.jackson.databind.ObjectMapper().readTree(dir.resolve("config.json").toFile());
        int heads = config.path("num_attention_heads").asInt();
        int kvHeads = config.path("num_key_value_heads").asInt(heads);
        int layers = config.path("num_hidden_layers").asInt();
        try (Checkpoint c = new Checkpoint(dir)) {
            String p = c.has("model.embed_tokens.weight") ? "model." : "";
            assertEquals(3 + 9 * layers, t.size(), "tensor count");
            float[] embed = c.floats(p + "embed_tokens.weight");
            same(t, "token_embd.weight", reversed(c.shape(p + "embed_tokens.weight")), embed);
            same(t, "output.weight", reversed(c.shape(p + "embed_tokens.weight")),
                    c.has("lm_head.weight") ? c.floats("lm_head.weight") : embed);
            same(t, "output_norm.weight", reversed(c.shape(p + "norm.weight")), c.floats(p + "norm.weight"));
            for (int l = 0; l < layers; l++) {
                String h = p + "layers." + l + ".";
                String b = "blk." + l + ".";
                String[][] plain = {{"attn_norm", "input_layernorm"}, {"ffn_norm", "post_attention_layernorm"},
                        {"attn_v", "self_attn.v_proj"}, {"attn_output", "self_attn.o_proj"},
                        {"ffn_gate", "mlp.gate_proj"}, {"ffn_up", "mlp.up_proj"}, {"ffn_down", "mlp.down_proj"}};
                for (String[] pair : plain) {
                    same(t, b + pair[0] + ".weight", reversed(c.shape(h + pair[1] + ".weight")),
                            c.floats(h + pair[1] + ".weight"));
                }
                rotaryRows(t.get(b + "attn_q.weight"), c, h + "self_attn.q_proj.weight", heads);
                rotaryRows(t.get(b + "attn_k.weight"), c, h + "self_attn.k_proj.weight", kvHeads);
            }
        }
    }

    /**
     * The same model written as F16, BF16 and Q8_0: every tensor, decoded by this test's reader, is the float32
     * file's tensor rounded by ggml's rules, checked here from their definitions: norms and biases stay F32;
     * BF16 is round-to-nearest-even of the upper half; F16 within half a float16 step; Q8_0 blocks of 32 with
     * {@code d} within half a float16 step of {@code max|x| / 127} and {@code q = roundf(x / d)} (halves away from
     * zero, at most one step off where {@code x / d} is that close to a half); rows that are not whole blocks F16.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"F16", "BF16", "Q8_0"})
    void everyTensorOfATypedFileIsTheFloat32TensorRoundedAsGgmlRounds(String typeName, @TempDir Path tmp)
            throws IOException {
        Path dir = TinyFamily.LLAMA.writeCheckpoint(tmp.resolve("llama"));
        Path f32 = tmp.resolve("f32.gguf");
        Path typed = tmp.resolve(typeName + ".gguf");
        GgufModelWriter.convert(dir, f32, io.steer4j.core.format.gguf.GgmlType.F32);
        GgufModelWriter.convert(dir, typed, io.steer4j.core.format.gguf.GgmlType.valueOf(typeName));
        Map<String, ReadTensor> want = readAll(f32);
        Map<String, ReadTensor> got = readAll(typed);
        assertEquals(want.keySet(), got.keySet());
        int q8Blocks = 0;
        for (String name : want.keySet()) {
            ReadTensor w = want.get(name);
            ReadTensor g = got.get(name);
            assertArrayEquals(w.ggufDims(), g.ggufDims(), name + " dims");
            float[] x = w.values();
            if (w.ggufDims().length == 1) {
                assertEquals(0, g.type(), name + " (1-D) stays F32");
                assertArrayEquals(x, g.values(), name);
                continue;
            }
            boolean wholeBlocks = w.ggufDims()[0] % 32 == 0;
            int expectedType = switch (typeName) {
                case "F16" -> 1;
                case "BF16" -> 30;
                default -> wholeBlocks ? 8 : 1;
            };
            assertEquals(expectedType, g.type(), name + " type");
            for (int i = 0; i < x.length; i++) {
                float v = g.values()[i];
                switch (g.type()) {
                    case 30 -> {
                        int bits = Float.floatToRawIntBits(x[i]);
                        int rne = (bits + 0x7FFF + ((bits >>> 16) & 1)) & 0xFFFF0000;
                        assertEquals(Float.intBitsToFloat(rne), v, name + "[" + i + "] bf16");
                    }
                    case 1 -> assertEquals(x[i], v, Math.max(Math.abs(x[i]) * 0x1p-11, 0x1p-25),
                            name + "[" + i + "] f16");
                    default -> { }
                }
            }
            if (g.type() == 8) {
                for (int blk = 0; blk < x.length / 32; blk++, q8Blocks++) {
                    float amax = 0;
                    for (int j = 0; j < 32; j++) {
                        amax = Math.max(amax, Math.abs(x[blk * 32 + j]));
                    }
                    float d = amax / 127f;
                    assertEquals(d, g.scales()[blk], Math.max(d * 0x1p-11, 0x1p-25), name + " block " + blk + " d");
                    for (int j = 0; j < 32; j++) {
                        double r = x[blk * 32 + j] * (d == 0 ? 0 : 1 / d);
                        long roundf = (long) Math.signum(r) * (long) Math.floor(Math.abs(r) + 0.5);
                        int q = g.quants()[blk * 32 + j];
                        assertTrue(q == roundf || Math.abs(Math.abs(r) % 1 - 0.5) < 1e-4 && Math.abs(q - roundf) == 1,
                                name + " block " + blk + " q[" + j + "] " + q + " for x/d " + r);
                    }
                }
            }
        }
        if (typeName.equals("Q8_0")) {
            assertTrue(q8Blocks > 0, "some matrices are Q8_0");
        }
    }

    /**
     * llama.cpp rotates adjacent pairs (2i, 2i+1) of a head where Hugging Face rotates (i, i + hd/2): GGUF row
     * {@code 2i} of each head must be HF row {@code i}, and row {@code 2i+1} HF row {@code i + hd/2}.
     */
    private static void rotaryRows(ReadTensor got, Checkpoint c, String name, int heads) throws IOException {
        int[] shape = c.shape(name);
        float[] w = c.floats(name);
        int rows = shape[0];
        int in = shape[1];
        int hd = rows / heads;
        assertArrayEquals(new long[] {in, rows}, got.ggufDims(), name + " dims");
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < hd / 2; i++) {
                int[][] map = {{h * hd + 2 * i, h * hd + i}, {h * hd + 2 * i + 1, h * hd + hd / 2 + i}};
                for (int[] m : map) {
                    assertArrayEquals(Arrays.copyOfRange(w, m[1] * in, (m[1] + 1) * in),
                            Arrays.copyOfRange(got.values(), m[0] * in, (m[0] + 1) * in),
                            name + ": GGUF row " + m[0] + " should be HF row " + m[1]);
                }
            }
        }
    }

    private static void same(Map<String, ReadTensor> t, String name, long[] dims, float[] values) {
        ReadTensor got = t.get(name);
        assertTrue(got != null, name + " missing from the GGUF file");
        assertArrayEquals(dims, got.ggufDims(), name + " dims");
        assertArrayEquals(values, got.values(), name + " values");
    }

    private static long[] reversed(int[] rowMajor) {
        long[] out = new long[rowMajor.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = rowMajor[rowMajor.length - 1 - i];
        }
        return out;
    }

    /** An independent reader of GGUF v3 files whose tensors are all F32, after the format's specification. */
    private static Map<String, ReadTensor> readAll(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[4];
        b.get(magic);
        assertEquals("GGUF", new String(magic, StandardCharsets.US_ASCII));
        assertEquals(3, b.getInt(), "version");
        long tensorCount = b.getLong();
        long kvCount = b.getLong();
        int alignment = 32;
        for (long i = 0; i < kvCount; i++) {
            String key = string(b);
            int type = b.getInt();
            Object v = value(b, type);
            if (key.equals("general.alignment")) {
                alignment = ((Number) v).intValue();
            }
        }
        Map<String, long[]> dims = new LinkedHashMap<>();
        Map<String, Long> offsets = new LinkedHashMap<>();
        Map<String, Integer> types = new LinkedHashMap<>();
        for (long i = 0; i < tensorCount; i++) {
            String name = string(b);
            long[] d = new long[b.getInt()];
            for (int k = 0; k < d.length; k++) {
                d[k] = b.getLong();
            }
            types.put(name, b.getInt());
            dims.put(name, d);
            offsets.put(name, b.getLong());
        }
        long dataStart = (b.position() + alignment - 1) / alignment * alignment;
        Map<String, ReadTensor> out = new LinkedHashMap<>();
        for (var e : dims.entrySet()) {
            long n = Arrays.stream(e.getValue()).reduce(1, (x, y) -> x * y);
            float[] v = new float[Math.toIntExact(n)];
            b.position(Math.toIntExact(dataStart + offsets.get(e.getKey())));
            int type = types.get(e.getKey());
            float[] scales = null;
            byte[] quants = null;
            switch (type) {
                case 0 -> b.asFloatBuffer().get(v);
                case 1 -> {
                    for (int i = 0; i < v.length; i++) {
                        v[i] = half(b.getShort());
                    }
                }
                case 30 -> {
                    for (int i = 0; i < v.length; i++) {
                        v[i] = Float.intBitsToFloat((b.getShort() & 0xFFFF) << 16);
                    }
                }
                case 8 -> { // Q8_0: per 32 values a float16 scale d, then 32 int8 q; value = d * q
                    scales = new float[v.length / 32];
                    quants = new byte[v.length];
                    for (int blk = 0; blk < scales.length; blk++) {
                        scales[blk] = half(b.getShort());
                        for (int j = 0; j < 32; j++) {
                            quants[blk * 32 + j] = b.get();
                            v[blk * 32 + j] = scales[blk] * quants[blk * 32 + j];
                        }
                    }
                }
                default -> throw new AssertionError(e.getKey() + " has ggml type " + type);
            }
            out.put(e.getKey(), new ReadTensor(e.getValue(), type, v, scales, quants));
        }
        return out;
    }

    /** IEEE binary16 to float, from the format's definition. */
    private static float half(short bits) {
        int h = bits & 0xFFFF;
        int exp = (h >>> 10) & 0x1F;
        int mant = h & 0x3FF;
        double v = exp == 0 ? mant * Math.pow(2, -24) : (1 + mant / 1024.0) * Math.pow(2, exp - 15);
        return (float) ((h & 0x8000) != 0 ? -v : v);
    }

    private static String string(ByteBuffer b) {
        byte[] s = new byte[Math.toIntExact(b.getLong())];
        b.get(s);
        return new String(s, StandardCharsets.UTF_8);
    }

    private static Object value(ByteBuffer b, int type) {
        switch (type) {
            case 0, 1, 7 -> {
                return b.get();
            }
            case 2, 3 -> {
                return b.getShort();
            }
            case 4, 5 -> {
                return b.getInt();
            }
            case 6 -> {
                return b.getFloat();
            }
            case 8 -> {
                return string(b);
            }
            case 9 -> {
                int elementType = b.getInt();
                long n = b.getLong();
                for (long i = 0; i < n; i++) {
                    value(b, elementType);
                }
                return n;
            }
            case 10, 11 -> {
                return b.getLong();
            }
            case 12 -> {
                return b.getDouble();
            }
            default -> throw new AssertionError("unknown GGUF value type " + type);
        }
    }

    /** The Hugging Face checkpoint's tensors, read through steer4j's safetensors header. */
    private static final class Checkpoint implements AutoCloseable {
        private final Path file;
        private final FileChannel channel;
        private final SafetensorsHeader header;

        Checkpoint(Path dir) throws IOException {
            this.file = dir.resolve("model.safetensors");
            this.channel = FileChannel.open(file);
            this.header = SafetensorsHeader.read(channel, file);
        }

        boolean has(String name) {
            return header.tensor(name).isPresent();
        }

        int[] shape(String name) {
            long[] s = header.tensor(name).orElseThrow().shape();
            return Arrays.stream(s).mapToInt(Math::toIntExact).toArray();
        }

        float[] floats(String name) throws IOException {
            return header.readFloats(channel, header.tensor(name).orElseThrow(), file);
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }
}
