package io.steer4j.djl.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reading config.json per family, and the refusals that name what is unsupported. */
class ModelConfigTest {
    private static final String LLAMA = """
            {"model_type": "%s", "vocab_size": 100, "hidden_size": 64, "num_hidden_layers": 2,
             "num_attention_heads": 8, "num_key_value_heads": 2, "intermediate_size": 128,
             "max_position_embeddings": 256, "rope_theta": 500000.0, "eos_token_id": [7, 9] %s}
            """;

    @TempDir
    Path tmp;

    private ModelConfig read(String json) throws IOException {
        Path f = tmp.resolve("config.json");
        Files.writeString(f, json);
        return ModelConfig.read(f);
    }

    private String refusal(String json) throws IOException {
        Path f = tmp.resolve("config.json");
        Files.writeString(f, json);
        return assertThrows(ModelLoadException.class, () -> ModelConfig.read(f)).getMessage();
    }

    @Test
    void anUnknownModelTypeListsTheSupportedOnes() throws IOException {
        String m = refusal("{\"model_type\": \"mamba\", \"architectures\": [\"MambaForCausalLM\"]}");
        assertTrue(m.contains("'mamba'"), m);
        for (String t : new String[] {"gpt2", "llama", "mistral", "qwen2", "gpt_neox"}) {
            assertTrue(m.contains(t), t + " missing from: " + m);
        }
    }

    @Test
    void anUnknownRopeScalingTypeIsRefusedByName() throws IOException {
        String m = refusal(LLAMA.formatted("llama", ", \"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4.0}"));
        assertTrue(m.contains("'yarn'") && m.contains("llama3") && m.contains("linear"), m);
    }

    @Test
    void llamaFieldsAreRead() throws IOException {
        ModelConfig c = read(LLAMA.formatted("llama", ""));
        assertEquals(8, c.numHeads());
        assertEquals(2, c.numKvHeads());
        assertEquals(4, c.queriesPerKvHead());
        assertEquals(8, c.headDim());
        assertEquals(8, c.rope().dims());
        assertEquals(500000.0, c.rope().theta());
        assertEquals("default", c.rope().scaling());
        assertEquals(7, c.eosTokenId(), "the first of several eos ids");
        assertEquals(1e-6, c.layerNormEps());
        assertEquals("silu", c.activation());
        assertTrue(!c.tieWordEmbeddings() && !c.qkvBias() && !c.parallelResidual());
    }

    @Test
    void mistralsSlidingWindowCapsTheContextSoEveryAcceptedSequenceIsExact() throws IOException {
        assertEquals(128, read(LLAMA.formatted("mistral", ", \"sliding_window\": 128")).contextLength());
        assertEquals(256, read(LLAMA.formatted("mistral", ", \"sliding_window\": null")).contextLength());
    }

    @Test
    void linearScalingDividesEveryFrequency() {
        float[] plain = RopeConfig.plain(8, 10000).inverseFrequencies();
        float[] linear = new RopeConfig(8, 10000, "linear", 4, 0, 0, 0).inverseFrequencies();
        for (int i = 0; i < plain.length; i++) {
            assertEquals(plain[i] / 4, linear[i], 1e-9);
        }
        assertEquals(1f, plain[0]);
        assertEquals(0.001f, plain[3], 1e-9);
    }

    @Test
    void llama3ScalingKeepsHighFrequenciesAndSlowsLowOnes() {
        // head 8, theta 10000: wavelengths 6.3, 63, 628, 6283; original context 64, factors 1 / 4: bands at 16, 64
        float[] plain = RopeConfig.plain(8, 10000).inverseFrequencies();
        float[] s = new RopeConfig(8, 10000, "llama3", 8, 1, 4, 64).inverseFrequencies();
        assertEquals(plain[0], s[0]);
        double wavelen = 2 * Math.PI / plain[1];
        double smooth = (64 / wavelen - 1) / 3;
        assertEquals((1 - smooth) * plain[1] / 8 + smooth * plain[1], s[1], 1e-7);
        assertEquals(plain[2] / 8, s[2], 1e-9);
        assertEquals(plain[3] / 8, s[3], 1e-9);
    }

    @Test
    void neoxRotaryFractionAndBaseAreRead() throws IOException {
        ModelConfig c = read("""
                {"model_type": "gpt_neox", "vocab_size": 100, "hidden_size": 64, "num_hidden_layers": 2,
                 "num_attention_heads": 4, "intermediate_size": 256, "max_position_embeddings": 128,
                 "rotary_pct": 0.25, "rotary_emb_base": 10000, "use_parallel_residual": false}
                """);
        assertEquals(16, c.headDim());
        assertEquals(4, c.rope().dims());
        assertEquals("gelu", c.activation());
        assertTrue(!c.parallelResidual() && c.qkvBias() && c.mlpBias() && !c.tieWordEmbeddings());
    }
}
