package io.steer4j.djl.gguf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steer4j.core.format.gguf.GgmlType;
import io.steer4j.core.format.gguf.GgufWriter;
import io.steer4j.core.format.safetensors.SafetensorsHeader;
import io.steer4j.core.format.safetensors.SafetensorsTensorInfo;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Writes a float32 GPT-2 or Llama checkpoint folder (the test fixtures, stories260k) as a llama.cpp GGUF model file
 * in the layouts llama.cpp's converter writes: GPT-2's Conv1D {@code [in, out]} weights as {@code [out, in]}
 * matrices, Llama's query and key rows in interleaved rotary pairs, {@code output.weight} only for an untied head.
 * Matrices in the given type (rows that are not whole Q8_0 blocks as F16, as the converter does), norms and biases
 * F32. The vocabulary is a placeholder of the model's size (the tests feed token ids): GPT-2's 256 byte symbols,
 * then {@code <id>}. (examples' {@code GgufModelWriter} is the benchmark's version, with the folder's tokenizer.)
 */
public final class TinyGgufFiles {
    private TinyGgufFiles() {
    }

    /** Writes {@code out} from the float32 checkpoint in {@code folder}, its matrices stored as {@code type}. */
    public static Path write(Path folder, Path out, GgmlType type) throws IOException {
        JsonNode c = new ObjectMapper().readTree(folder.resolve("config.json").toFile());
        Path weights = folder.resolve("model.safetensors");
        try (FileChannel ch = FileChannel.open(weights)) {
            SafetensorsHeader h = SafetensorsHeader.read(ch, weights);
            GgufWriter w = new GgufWriter();
            Tensors t = new Tensors(h, ch, weights, w, type);
            int vocab = c.path("vocab_size").asInt();
            if (c.path("model_type").asText().equals("gpt2")) {
                gpt2(c, t, w);
            } else {
                llama(c, t, w);
            }
            vocabulary(vocab, c, w);
            w.writeAtomically(out);
            return out;
        }
    }

    /** Reads the checkpoint's tensors and adds them to the GGUF writer. */
    private record Tensors(SafetensorsHeader h, FileChannel ch, Path file, GgufWriter w, GgmlType type) {
        float[] read(String name) throws IOException {
            SafetensorsTensorInfo t = h.tensor(name).orElseThrow(() -> new IOException(file + " has no " + name));
            return h.readFloats(ch, t, file);
        }

        boolean has(String name) {
            return h.tensor(name).isPresent();
        }

        void add(String name, float[] data, long... rowMajorShape) {
            GgmlType stored = rowMajorShape.length == 1 ? GgmlType.F32
                    : rowMajorShape[1] % type.blockSize() == 0 ? type : GgmlType.F16;
            w.addTensor(name, rowMajorShape, stored, data);
        }
    }

    private static void gpt2(JsonNode c, Tensors t, GgufWriter w) throws IOException {
        int d = c.path("n_embd").asInt();
        int layers = c.path("n_layer").asInt();
        int inner = c.path("n_inner").isNumber() ? c.path("n_inner").asInt() : 4 * d;
        int vocab = c.path("vocab_size").asInt();
        int ctx = c.path("n_positions").asInt();
        w.putString("general.architecture", "gpt2");
        w.putUint32("gpt2.context_length", ctx);
        w.putUint32("gpt2.embedding_length", d);
        w.putUint32("gpt2.feed_forward_length", inner);
        w.putUint32("gpt2.block_count", layers);
        w.putUint32("gpt2.attention.head_count", c.path("n_head").asInt());
        w.putFloat32("gpt2.attention.layer_norm_epsilon", (float) c.path("layer_norm_epsilon").asDouble(1e-5));
        t.add("token_embd.weight", t.read("wte.weight"), vocab, d);
        t.add("position_embd.weight", t.read("wpe.weight"), ctx, d);
        t.add("output_norm.weight", t.read("ln_f.weight"), d);
        t.add("output_norm.bias", t.read("ln_f.bias"), d);
        if (t.has("lm_head.weight")) {
            t.add("output.weight", t.read("lm_head.weight"), vocab, d);
        }
        for (int l = 0; l < layers; l++) {
            String h = "h." + l + ".";
            String b = "blk." + l + ".";
            t.add(b + "attn_norm.weight", t.read(h + "ln_1.weight"), d);
            t.add(b + "attn_norm.bias", t.read(h + "ln_1.bias"), d);
            t.add(b + "attn_qkv.weight", transpose(t.read(h + "attn.c_attn.weight"), d, 3 * d), 3L * d, d);
            t.add(b + "attn_qkv.bias", t.read(h + "attn.c_attn.bias"), 3L * d);
            t.add(b + "attn_output.weight", transpose(t.read(h + "attn.c_proj.weight"), d, d), d, d);
            t.add(b + "attn_output.bias", t.read(h + "attn.c_proj.bias"), d);
            t.add(b + "ffn_norm.weight", t.read(h + "ln_2.weight"), d);
            t.add(b + "ffn_norm.bias", t.read(h + "ln_2.bias"), d);
            t.add(b + "ffn_up.weight", transpose(t.read(h + "mlp.c_fc.weight"), d, inner), inner, d);
            t.add(b + "ffn_up.bias", t.read(h + "mlp.c_fc.bias"), inner);
            t.add(b + "ffn_down.weight", transpose(t.read(h + "mlp.c_proj.weight"), inner, d), d, inner);
            t.add(b + "ffn_down.bias", t.read(h + "mlp.c_proj.bias"), d);
        }
    }

    private static void llama(JsonNode c, Tensors t, GgufWriter w) throws IOException {
        int d = c.path("hidden_size").asInt();
        int layers = c.path("num_hidden_layers").asInt();
        int heads = c.path("num_attention_heads").asInt();
        int kvHeads = c.path("num_key_value_heads").asInt(heads);
        int hd = c.path("head_dim").asInt(d / heads);
        int inner = c.path("intermediate_size").asInt();
        int vocab = c.path("vocab_size").asInt();
        w.putString("general.architecture", "llama");
        w.putUint32("llama.context_length", c.path("max_position_embeddings").asInt());
        w.putUint32("llama.embedding_length", d);
        w.putUint32("llama.feed_forward_length", inner);
        w.putUint32("llama.block_count", layers);
        w.putUint32("llama.attention.head_count", heads);
        w.putUint32("llama.attention.head_count_kv", kvHeads);
        w.putUint32("llama.attention.key_length", hd);
        w.putUint32("llama.attention.value_length", hd);
        w.putUint32("llama.rope.dimension_count", hd);
        w.putFloat32("llama.rope.freq_base", (float) c.path("rope_theta").asDouble(10000));
        w.putFloat32("llama.attention.layer_norm_rms_epsilon", (float) c.path("rms_norm_eps").asDouble(1e-6));
        t.add("token_embd.weight", t.read("model.embed_tokens.weight"), vocab, d);
        t.add("output_norm.weight", t.read("model.norm.weight"), d);
        if (t.has("lm_head.weight") && !c.path("tie_word_embeddings").asBoolean(false)) {
            t.add("output.weight", t.read("lm_head.weight"), vocab, d);
        }
        for (int l = 0; l < layers; l++) {
            String h = "model.layers." + l + ".";
            String b = "blk." + l + ".";
            t.add(b + "attn_norm.weight", t.read(h + "input_layernorm.weight"), d);
            t.add(b + "attn_q.weight", interleaveRope(t.read(h + "self_attn.q_proj.weight"), heads, hd, d),
                    (long) heads * hd, d);
            t.add(b + "attn_k.weight", interleaveRope(t.read(h + "self_attn.k_proj.weight"), kvHeads, hd, d),
                    (long) kvHeads * hd, d);
            t.add(b + "attn_v.weight", t.read(h + "self_attn.v_proj.weight"), (long) kvHeads * hd, d);
            t.add(b + "attn_output.weight", t.read(h + "self_attn.o_proj.weight"), d, (long) heads * hd);
            t.add(b + "ffn_norm.weight", t.read(h + "post_attention_layernorm.weight"), d);
            t.add(b + "ffn_gate.weight", t.read(h + "mlp.gate_proj.weight"), inner, d);
            t.add(b + "ffn_up.weight", t.read(h + "mlp.up_proj.weight"), inner, d);
            t.add(b + "ffn_down.weight", t.read(h + "mlp.down_proj.weight"), d, inner);
        }
    }

    /** GPT-2's byte symbols for ids 0..255, then {@code <id>}; no merges (the tests feed token ids). */
    private static void vocabulary(int vocab, JsonNode c, GgufWriter w) {
        String[] tokens = new String[vocab];
        int n = 0;
        for (int i = 0; i < vocab; i++) {
            if (i < 256) {
                boolean printable = (i >= '!' && i <= '~') || (i >= 0xA1 && i <= 0xAC) || (i >= 0xAE && i <= 0xFF);
                tokens[i] = new String(Character.toChars(printable ? i : 256 + n++));
            } else {
                tokens[i] = "<" + i + ">";
            }
        }
        int[] types = new int[vocab];
        Arrays.fill(types, 1);
        w.putString("tokenizer.ggml.model", "gpt2");
        w.putString("tokenizer.ggml.pre", "default");
        w.putStrings("tokenizer.ggml.tokens", List.of(tokens));
        w.putInt32s("tokenizer.ggml.token_type", types);
        w.putStrings("tokenizer.ggml.merges", List.of());
        int eos = c.path("eos_token_id").asInt(vocab - 1);
        w.putUint32("tokenizer.ggml.eos_token_id", eos);
        w.putUint32("tokenizer.ggml.bos_token_id", c.path("bos_token_id").asInt(eos));
    }

    /** {@code [rows, cols]} row-major to {@code [cols, rows]}. */
    private static float[] transpose(float[] a, int rows, int cols) {
        float[] t = new float[a.length];
        for (int r = 0; r < rows; r++) {
            for (int k = 0; k < cols; k++) {
                t[k * rows + r] = a[r * cols + k];
            }
        }
        return t;
    }

    /** Within each head, rows {@code i} and {@code i + hd/2} become rows {@code 2i} and {@code 2i + 1}. */
    private static float[] interleaveRope(float[] w, int heads, int hd, int in) {
        float[] out = new float[w.length];
        int half = hd / 2;
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < half; i++) {
                System.arraycopy(w, (h * hd + i) * in, out, (h * hd + 2 * i) * in, in);
                System.arraycopy(w, (h * hd + half + i) * in, out, (h * hd + 2 * i + 1) * in, in);
            }
        }
        return out;
    }
}
