package io.steer4j.bench;

import io.steer4j.core.format.gguf.GgmlType;
import io.steer4j.core.format.gguf.GgufModelFile;
import io.steer4j.core.format.gguf.GgufTensorInfo;
import io.steer4j.core.format.safetensors.SafetensorsHeader;
import io.steer4j.fixtures.TinyFamily;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The chat models' config features as the GGUF model writer hands them to llama.cpp, on the tiny fixtures that
 * carry them: Qwen2 (architecture {@code qwen2}, q/k/v biases, query/key rows left in Hugging Face's order, linear
 * rope scaling as keys), Llama 3 (llama3 rope scaling as the {@code rope_freqs.weight} divisors, an explicit head
 * size), tied heads (no {@code output.weight}) and grouped-query attention (key/value rows of the key/value heads
 * only). Keys and tensor names are llama.cpp's ({@code LLM_KV_*}, {@code LLM_TENSOR_*}); dimensions are GGUF's,
 * innermost first.
 */
class GgufModelWriterArchitecturesTest {
    @TempDir
    static Path tmp;

    private static Path qwen2Dir;
    private static Path llama3Dir;
    private static Path qwen2;
    private static Path llama3;

    @BeforeAll
    static void convert() throws IOException {
        qwen2Dir = TinyFamily.QWEN2.writeCheckpoint(tmp.resolve("qwen2"));
        llama3Dir = TinyFamily.LLAMA3.writeCheckpoint(tmp.resolve("llama3"));
        qwen2 = tmp.resolve("qwen2.gguf");
        llama3 = tmp.resolve("llama3.gguf");
        GgufModelWriter.convert(qwen2Dir, qwen2);
        GgufModelWriter.convert(llama3Dir, llama3);
    }

    @Test
    void qwen2IsWrittenAsArchitectureQwen2WithItsHyperparameters() throws IOException {
        try (GgufModelFile f = GgufModelFile.open(qwen2)) {
            assertEquals("qwen2", f.string("general.architecture"));
            assertEquals(3, f.integer("qwen2.block_count"));
            assertEquals(32, f.integer("qwen2.embedding_length"));
            assertEquals(64, f.integer("qwen2.feed_forward_length"));
            assertEquals(4, f.integer("qwen2.attention.head_count"));
            assertEquals(1, f.integer("qwen2.attention.head_count_kv"));
            assertEquals(8, f.integer("qwen2.rope.dimension_count"));
            assertEquals(10000.0, f.real("qwen2.rope.freq_base"));
            assertEquals(1e-6, f.real("qwen2.attention.layer_norm_rms_epsilon"), 1e-12);
            assertEquals(64, f.integer("qwen2.context_length"));
            assertFalse(f.metadata().keySet().stream().anyMatch(k -> k.startsWith("llama.")), "no llama.* keys");
        }
    }

    @Test
    void qwen2LinearRopeScalingIsWrittenAsScalingKeys() throws IOException {
        try (GgufModelFile f = GgufModelFile.open(qwen2)) {
            assertEquals("linear", f.string("qwen2.rope.scaling.type"));
            assertEquals(2.0, f.real("qwen2.rope.scaling.factor"));
            assertTrue(f.tensor("rope_freqs.weight").isEmpty());
        }
    }

    @Test
    void qwen2QueryKeyValueBiasesAreWrittenPerLayer() throws IOException {
        try (GgufModelFile f = GgufModelFile.open(qwen2);
             Checkpoint c = new Checkpoint(qwen2Dir)) {
            for (int l = 0; l < 3; l++) {
                String h = "model.layers." + l + ".self_attn.";
                same(f, "blk." + l + ".attn_q.bias", new long[] {32}, c.floats(h + "q_proj.bias"));
                same(f, "blk." + l + ".attn_k.bias", new long[] {8}, c.floats(h + "k_proj.bias"));
                same(f, "blk." + l + ".attn_v.bias", new long[] {8}, c.floats(h + "v_proj.bias"));
            }
            assertEquals(3 + 12 * 3, f.tensors().size(), "token_embd, output_norm, output + 12 per layer");
        }
    }

    @Test
    void qwen2QueryAndKeyRowsKeepHuggingFaceOrderBecauseLlamaCppRotatesQwen2InHalves() throws IOException {
        try (GgufModelFile f = GgufModelFile.open(qwen2);
             Checkpoint c = new Checkpoint(qwen2Dir)) {
            same(f, "blk.1.attn_q.weight", new long[] {32, 32}, c.floats("model.layers.1.self_attn.q_proj.weight"));
            same(f, "blk.1.attn_k.weight", new long[] {32, 8}, c.floats("model.layers.1.self_attn.k_proj.weight"));
        }
    }

    @Test
    void untiedQwen2HeadIsWrittenAsOutputWeight() throws IOException {
        try (GgufModelFile f = GgufModelFile.open(qwen2);
             Checkpoint c = new Checkpoint(qwen2Dir)) {
            same(f, "output.weight", new long[] {32, 297}, c.floats("lm_head.weight"));
        }
    }

    @Test
    void tiedLlamaHeadIsNotWrittenSoLlamaCppReadsTheTokenEmbedding() throws IOException {
        try (GgufModelFile f = GgufModelFile.open(llama3)) {
            assertTrue(f.tensor("output.weight").isEmpty());
            assertArrayEquals(new long[] {32, 297}, f.tensor("token_embd.weight").orElseThrow().dims());
            assertEquals(3 + 9 * 3, f.tensors().size(), "token_embd, rope_freqs, output_norm + 9 per layer");
        }
    }

    @Test
    void groupedQueryAttentionWithExplicitHeadSizeHasKeyValueRowsOfTheKeyValueHeadsOnly() throws IOException {
        try (GgufModelFile f = GgufModelFile.open(llama3)) {
            assertEquals(4, f.integer("llama.attention.head_count"));
            assertEquals(2, f.integer("llama.attention.head_count_kv"));
            assertEquals(16, f.integer("llama.attention.key_length"));
            assertEquals(16, f.integer("llama.attention.value_length"));
            assertEquals(16, f.integer("llama.rope.dimension_count"));
            assertArrayEquals(new long[] {32, 64}, f.tensor("blk.0.attn_q.weight").orElseThrow().dims());
            assertArrayEquals(new long[] {32, 32}, f.tensor("blk.0.attn_k.weight").orElseThrow().dims());
            assertArrayEquals(new long[] {32, 32}, f.tensor("blk.0.attn_v.weight").orElseThrow().dims());
            assertArrayEquals(new long[] {64, 32}, f.tensor("blk.0.attn_output.weight").orElseThrow().dims());
        }
    }

    /**
     * llama.cpp divides pair {@code i}'s frequency by {@code rope_freqs[i]}; Hugging Face's llama3 scaling
     * ({@code _compute_llama3_parameters}) gives each pair's scaled inverse frequency, so the divisor is the
     * unscaled frequency over the scaled one. The fixture (head 16, theta 10000, factor 8, original context 64) has
     * pairs in all three bands: kept (wavelength under 16), divided by 8 (over 64), and blended between.
     */
    @Test
    void llama3RopeScalingIsWrittenAsRopeFreqsDivisorsEqualToHuggingFacesScaledFrequencies() throws IOException {
        double base = 10000;
        int dim = 16;
        double factor = 8;
        double low = 1;
        double high = 4;
        double original = 64;
        double[] expected = new double[dim / 2];
        int kept = 0;
        int divided = 0;
        int blended = 0;
        for (int i = 0; i < expected.length; i++) {
            double invFreq = 1 / Math.pow(base, 2.0 * i / dim);
            double wavelen = 2 * Math.PI / invFreq;
            double llama = wavelen > original / low ? invFreq / factor : invFreq;
            boolean medium = !(wavelen < original / high) && !(wavelen > original / low);
            if (medium) {
                double smooth = (original / wavelen - low) / (high - low);
                llama = (1 - smooth) * llama / factor + smooth * llama;
                blended++;
            } else if (llama == invFreq) {
                kept++;
            } else {
                divided++;
            }
            expected[i] = invFreq / llama;
        }
        assertTrue(kept > 0 && divided > 0 && blended > 0, "the fixture has pairs in every band");
        try (GgufModelFile f = GgufModelFile.open(llama3)) {
            GgufTensorInfo t = f.tensor("rope_freqs.weight").orElseThrow();
            assertEquals(GgmlType.F32, t.type());
            assertArrayEquals(new long[] {dim / 2}, t.dims());
            float[] got = f.floats(t);
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], got[i], expected[i] * 1e-5, "rope_freqs[" + i + "]");
            }
            assertTrue(f.metadata().keySet().stream().noneMatch(k -> k.startsWith("llama.rope.scaling")),
                    "llama3 scaling is the tensor only, as convert_hf_to_gguf.py writes it");
            assertEquals(64, f.integer("llama.context_length"));
        }
    }

    private static void same(GgufModelFile f, String name, long[] dims, float[] values) throws IOException {
        GgufTensorInfo t = f.tensor(name).orElseThrow(() -> new AssertionError(name + " missing"));
        assertArrayEquals(dims, t.dims(), name + " dims");
        assertArrayEquals(values, f.floats(t), name + " values");
    }

    /** The Hugging Face checkpoint's tensors, read through steer4j's safetensors header. */
    private static final class Checkpoint implements AutoCloseable {
        private final Path file;
        private final java.nio.channels.FileChannel channel;
        private final SafetensorsHeader header;

        Checkpoint(Path dir) throws IOException {
            this.file = dir.resolve("model.safetensors");
            this.channel = java.nio.channels.FileChannel.open(file);
            this.header = SafetensorsHeader.read(channel, file);
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
