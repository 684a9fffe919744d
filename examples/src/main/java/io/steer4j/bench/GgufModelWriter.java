package io.steer4j.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steer4j.core.format.gguf.GgmlType;
import io.steer4j.core.format.gguf.GgufWriter;
import io.steer4j.core.format.safetensors.SafetensorsDtype;
import io.steer4j.core.format.safetensors.SafetensorsHeader;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Converts a Hugging Face checkpoint (one {@code model.safetensors}, float32 or 16-bit) of the GPT-2, Llama or
 * Qwen2 family into a GGUF model file that llama.cpp loads, so that the benchmark can run llama.cpp on exactly the weights steer4j runs,
 * and so that steer4j's own GGUF loading can be proven on known weights. Matrices are stored as F32, F16, BF16 or
 * Q8_0 ({@link GgmlType}, rounded as ggml rounds); one-dimensional tensors (norms, biases) stay F32, and a matrix
 * whose rows are not a whole number of Q8_0 blocks falls back to F16, as llama.cpp's {@code convert_hf_to_gguf.py}
 * does. No sharded checkpoints.
 *
 * <p>What llama.cpp expects beyond the tensor names: GPT-2's Conv1D weights ({@code [in, out]}) transposed to
 * {@code [out, in]}, and its {@code output.weight} even when the head is tied; Llama's query and key rows permuted
 * from Hugging Face's rotate-half order to the interleaved pairs llama.cpp rotates (as its
 * {@code convert_hf_to_gguf.py} does), while Qwen2 (architecture {@code qwen2}, which llama.cpp rotates in halves
 * as Hugging Face does) keeps them and adds its q/k/v biases; a tied Llama or Qwen2 head written as no
 * {@code output.weight} at all (llama.cpp then reads {@code token_embd.weight}, as for the published GGUFs);
 * {@code llama3} rope scaling as the {@code rope_freqs.weight} tensor of per-pair frequency divisors (what
 * {@code convert_hf_to_gguf.py}'s {@code LlamaModel.generate_extra_tensors} writes), linear scaling as
 * {@code ARCH.rope.scaling.type/factor}; GGUF dimensions listed innermost first.
 *
 * <p>Memory: each tensor is read from the checkpoint when it is added and kept only in its stored encoding, so
 * converting needs about the GGUF's size plus one float32 tensor (the embedding, the largest) of heap.
 *
 * <p>The vocabulary: {@link #convert(Path, Path, GgmlType)} writes the folder's own tokenizer
 * ({@link TokenizerToGguf}); {@link #convert(Path, Path)}, which the peer benchmark uses, a placeholder vocabulary
 * (the benchmark feeds token ids, never text).
 */
final class GgufModelWriter {
    /** Reads a tensor's values when it is written, so that one tensor's floats are in memory at a time. */
    @FunctionalInterface
    private interface Values {
        float[] read() throws IOException;
    }

    private record Tensor(String name, long[] rowMajorShape, Values data) {
    }

    private final Path folder;
    private final SafetensorsHeader header;
    private final FileChannel channel;
    private final Path weights;

    private GgufModelWriter(Path folder) throws IOException {
        this.folder = folder;
        this.weights = folder.resolve("model.safetensors");
        if (!Files.isRegularFile(weights)) {
            throw new IOException(folder + " has no model.safetensors (sharded checkpoints are not converted)");
        }
        this.channel = FileChannel.open(weights);
        this.header = SafetensorsHeader.read(channel, weights);
    }

    /**
     * Converts in a JVM of its own, as {@link PeerSection} runs it: {@code GgufModelWriter MODEL_DIR OUT.gguf
     * [F32|F16|BF16|Q8_0]} (with a type, the folder's tokenizer is written too). In the benchmark's process the
     * conversion's ~2x model size of temporary arrays would inflate its peak RSS.
     */
    /** The last argument that writes the placeholder vocabulary instead of the folder's tokenizer. */
    static final String PLACEHOLDER_VOCABULARY = "--placeholder-vocabulary";

    public static void main(String[] args) throws IOException {
        boolean placeholder = args.length == 4 && args[3].equals(PLACEHOLDER_VOCABULARY);
        if ((args.length != 2 && args.length != 3 && !placeholder)) {
            System.err.println("usage: GgufModelWriter MODEL_DIR OUT.gguf [F32|F16|BF16|Q8_0 ["
                    + PLACEHOLDER_VOCABULARY + "]]");
            System.exit(2);
        }
        System.out.println(args.length == 2 ? convert(Path.of(args[0]), Path.of(args[1]))
                : convert(Path.of(args[0]), Path.of(args[1]), GgmlType.valueOf(args[2]), !placeholder));
    }

    /**
     * Writes a float32 {@code out} with a placeholder vocabulary from the checkpoint in {@code folder}; returns the
     * file's size in bytes.
     */
    static long convert(Path folder, Path out) throws IOException {
        return convert(folder, out, GgmlType.F32, false);
    }

    /**
     * Writes {@code out} from the checkpoint in {@code folder} with its matrices stored as {@code type} and the
     * folder's tokenizer and chat template; returns the file's size in bytes.
     */
    static long convert(Path folder, Path out, GgmlType type) throws IOException {
        return convert(folder, out, type, true);
    }

    private static long convert(Path folder, Path out, GgmlType type, boolean tokenizer) throws IOException {
        GgufModelWriter w = new GgufModelWriter(folder);
        try {
            return w.write(out, type, tokenizer);
        } finally {
            w.channel.close();
        }
    }

    private float[] read(String... names) throws IOException {
        for (String n : names) {
            var t = header.tensor(n);
            if (t.isPresent()) {
                SafetensorsDtype d = t.get().dtype();
                if (d != SafetensorsDtype.F32 && d != SafetensorsDtype.BF16 && d != SafetensorsDtype.F16) {
                    throw new IOException(n + " is " + d + "; the peer benchmark converts F32, BF16 and F16 "
                            + "checkpoints");
                }
                return header.readFloats(channel, t.get(), weights);
            }
        }
        throw new IOException(weights + " has none of " + List.of(names));
    }

    private boolean has(String name) {
        return header.tensor(name).isPresent();
    }

    private long write(Path out, GgmlType type, boolean tokenizer) throws IOException {
        JsonNode c = new ObjectMapper().readTree(folder.resolve("config.json").toFile());
        String modelType = c.path("model_type").asText();
        List<Object[]> kvs = new ArrayList<>();
        List<Tensor> tensors = new ArrayList<>();
        int vocab = c.path("vocab_size").asInt();
        switch (modelType) {
            case "gpt2" -> gpt2(c, kvs, tensors);
            case "llama" -> llama(c, kvs, tensors, "llama");
            case "qwen2" -> llama(c, kvs, tensors, "qwen2");
            default -> throw new IOException("the peer converter handles gpt2, llama and qwen2 checkpoints, not "
                    + modelType);
        }
        GgufWriter w = new GgufWriter();
        for (Object[] kv : kvs) {
            String key = (String) kv[0];
            if (kv[1] instanceof String s) {
                w.putString(key, s);
            } else if (kv[1] instanceof Integer i) {
                w.putUint32(key, i);
            } else {
                w.putFloat32(key, (Float) kv[1]);
            }
        }
        if (tokenizer && TokenizerToGguf.present(folder)) {
            TokenizerToGguf.write(folder, c, vocab, w);
        } else {
            placeholderVocabulary(vocab, c, w);
        }
        for (Tensor t : tensors) {
            long[] shape = t.rowMajorShape();
            GgmlType stored = shape.length == 1 ? GgmlType.F32
                    : shape[shape.length - 1] % type.blockSize() == 0 ? type : GgmlType.F16;
            w.addTensor(t.name(), shape, stored, t.data().read());
        }
        w.writeAtomically(out);
        return Files.size(out);
    }

    private void gpt2(JsonNode c, List<Object[]> kvs, List<Tensor> t) throws IOException {
        int d = c.path("n_embd").asInt();
        int layers = c.path("n_layer").asInt();
        int inner = c.path("n_inner").isNumber() ? c.path("n_inner").asInt() : 4 * d;
        int vocab = c.path("vocab_size").asInt();
        int ctx = c.path("n_positions").asInt();
        kvs.add(new Object[] {"general.architecture", "gpt2"});
        kvs.add(new Object[] {"general.name", folder.getFileName().toString()});
        kvs.add(new Object[] {"gpt2.context_length", ctx});
        kvs.add(new Object[] {"gpt2.embedding_length", d});
        kvs.add(new Object[] {"gpt2.feed_forward_length", inner});
        kvs.add(new Object[] {"gpt2.block_count", layers});
        kvs.add(new Object[] {"gpt2.attention.head_count", c.path("n_head").asInt()});
        kvs.add(new Object[] {"gpt2.attention.layer_norm_epsilon", (float) c.path("layer_norm_epsilon").asDouble(1e-5)});
        String p = has("wte.weight") ? "" : "transformer.";
        t.add(new Tensor("token_embd.weight", new long[] {vocab, d}, () -> read(p + "wte.weight")));
        t.add(new Tensor("position_embd.weight", new long[] {ctx, d}, () -> read(p + "wpe.weight")));
        t.add(new Tensor("output_norm.weight", new long[] {d}, () -> read(p + "ln_f.weight")));
        t.add(new Tensor("output_norm.bias", new long[] {d}, () -> read(p + "ln_f.bias")));
        t.add(new Tensor("output.weight", new long[] {vocab, d}, () -> read("lm_head.weight", p + "wte.weight")));
        for (int l = 0; l < layers; l++) {
            String h = p + "h." + l + ".";
            String b = "blk." + l + ".";
            t.add(new Tensor(b + "attn_norm.weight", new long[] {d}, () -> read(h + "ln_1.weight")));
            t.add(new Tensor(b + "attn_norm.bias", new long[] {d}, () -> read(h + "ln_1.bias")));
            t.add(new Tensor(b + "attn_qkv.weight", new long[] {3L * d, d}, () -> transpose(read(h + "attn.c_attn.weight"), d, 3 * d)));
            t.add(new Tensor(b + "attn_qkv.bias", new long[] {3L * d}, () -> read(h + "attn.c_attn.bias")));
            t.add(new Tensor(b + "attn_output.weight", new long[] {d, d}, () -> transpose(read(h + "attn.c_proj.weight"), d, d)));
            t.add(new Tensor(b + "attn_output.bias", new long[] {d}, () -> read(h + "attn.c_proj.bias")));
            t.add(new Tensor(b + "ffn_norm.weight", new long[] {d}, () -> read(h + "ln_2.weight")));
            t.add(new Tensor(b + "ffn_norm.bias", new long[] {d}, () -> read(h + "ln_2.bias")));
            t.add(new Tensor(b + "ffn_up.weight", new long[] {inner, d}, () -> transpose(read(h + "mlp.c_fc.weight"), d, inner)));
            t.add(new Tensor(b + "ffn_up.bias", new long[] {inner}, () -> read(h + "mlp.c_fc.bias")));
            t.add(new Tensor(b + "ffn_down.weight", new long[] {d, inner}, () -> transpose(read(h + "mlp.c_proj.weight"), inner, d)));
            t.add(new Tensor(b + "ffn_down.bias", new long[] {d}, () -> read(h + "mlp.c_proj.bias")));
        }
    }

    /**
     * Llama and Qwen2 ({@code arch}): the same blocks, Qwen2 with q/k/v biases and its query/key rows in Hugging
     * Face's order (llama.cpp rotates {@code qwen2} in halves, {@code llama} in adjacent pairs).
     */
    private void llama(JsonNode c, List<Object[]> kvs, List<Tensor> t, String arch) throws IOException {
        int d = c.path("hidden_size").asInt();
        int layers = c.path("num_hidden_layers").asInt();
        int heads = c.path("num_attention_heads").asInt();
        int kvHeads = c.path("num_key_value_heads").asInt(heads);
        int hd = c.path("head_dim").asInt(d / heads);
        int inner = c.path("intermediate_size").asInt();
        int vocab = c.path("vocab_size").asInt();
        boolean qwen2 = arch.equals("qwen2");
        float theta = (float) c.path("rope_theta").asDouble(10000);
        kvs.add(new Object[] {"general.architecture", arch});
        kvs.add(new Object[] {"general.name", folder.getFileName().toString()});
        kvs.add(new Object[] {arch + ".context_length", c.path("max_position_embeddings").asInt()});
        kvs.add(new Object[] {arch + ".embedding_length", d});
        kvs.add(new Object[] {arch + ".feed_forward_length", inner});
        kvs.add(new Object[] {arch + ".block_count", layers});
        kvs.add(new Object[] {arch + ".attention.head_count", heads});
        kvs.add(new Object[] {arch + ".attention.head_count_kv", kvHeads});
        kvs.add(new Object[] {arch + ".attention.key_length", hd});
        kvs.add(new Object[] {arch + ".attention.value_length", hd});
        kvs.add(new Object[] {arch + ".rope.dimension_count", hd});
        kvs.add(new Object[] {arch + ".rope.freq_base", theta});
        kvs.add(new Object[] {arch + ".attention.layer_norm_rms_epsilon", (float) c.path("rms_norm_eps").asDouble(1e-6)});
        float[] ropeFreqs = null;
        JsonNode scaling = c.path("rope_scaling");
        if (scaling.isObject()) {
            String type = scaling.path("rope_type").asText(scaling.path("type").asText(""));
            switch (type) {
                case "linear" -> {
                    kvs.add(new Object[] {arch + ".rope.scaling.type", "linear"});
                    kvs.add(new Object[] {arch + ".rope.scaling.factor", (float) scaling.path("factor").asDouble()});
                }
                case "llama3" -> ropeFreqs = llama3RopeFactors(scaling, theta, hd);
                case "default" -> { }
                default -> throw new IOException(folder.resolve("config.json") + ": rope_scaling type '" + type
                        + "' is not written by the peer converter (it writes linear and llama3)");
            }
        }
        String p = has("model.embed_tokens.weight") ? "model." : "";
        t.add(new Tensor("token_embd.weight", new long[] {vocab, d}, () -> read(p + "embed_tokens.weight")));
        if (ropeFreqs != null) {
            float[] factors = ropeFreqs;
            t.add(new Tensor("rope_freqs.weight", new long[] {hd / 2}, () -> factors));
        }
        t.add(new Tensor("output_norm.weight", new long[] {d}, () -> read(p + "norm.weight")));
        if (has("lm_head.weight")) {
            t.add(new Tensor("output.weight", new long[] {vocab, d}, () -> read("lm_head.weight")));
        }
        for (int l = 0; l < layers; l++) {
            String h = p + "layers." + l + ".";
            String b = "blk." + l + ".";
            t.add(new Tensor(b + "attn_norm.weight", new long[] {d}, () -> read(h + "input_layernorm.weight")));
            if (qwen2) {
                t.add(new Tensor(b + "attn_q.weight", new long[] {(long) heads * hd, d},
                        () -> read(h + "self_attn.q_proj.weight")));
                t.add(new Tensor(b + "attn_q.bias", new long[] {(long) heads * hd},
                        () -> read(h + "self_attn.q_proj.bias")));
                t.add(new Tensor(b + "attn_k.weight", new long[] {(long) kvHeads * hd, d},
                        () -> read(h + "self_attn.k_proj.weight")));
                t.add(new Tensor(b + "attn_k.bias", new long[] {(long) kvHeads * hd},
                        () -> read(h + "self_attn.k_proj.bias")));
                t.add(new Tensor(b + "attn_v.weight", new long[] {(long) kvHeads * hd, d},
                        () -> read(h + "self_attn.v_proj.weight")));
                t.add(new Tensor(b + "attn_v.bias", new long[] {(long) kvHeads * hd},
                        () -> read(h + "self_attn.v_proj.bias")));
            } else {
                if (has(h + "self_attn.q_proj.bias")) {
                    throw new IOException(weights + " has attention biases; the peer converter writes them for "
                            + "qwen2 checkpoints only");
                }
                t.add(new Tensor(b + "attn_q.weight", new long[] {(long) heads * hd, d},
                        () -> interleaveRope(read(h + "self_attn.q_proj.weight"), heads, hd, d)));
                t.add(new Tensor(b + "attn_k.weight", new long[] {(long) kvHeads * hd, d},
                        () -> interleaveRope(read(h + "self_attn.k_proj.weight"), kvHeads, hd, d)));
                t.add(new Tensor(b + "attn_v.weight", new long[] {(long) kvHeads * hd, d},
                        () -> read(h + "self_attn.v_proj.weight")));
            }
            t.add(new Tensor(b + "attn_output.weight", new long[] {d, (long) heads * hd},
                    () -> read(h + "self_attn.o_proj.weight")));
            t.add(new Tensor(b + "ffn_norm.weight", new long[] {d}, () -> read(h + "post_attention_layernorm.weight")));
            t.add(new Tensor(b + "ffn_gate.weight", new long[] {inner, d}, () -> read(h + "mlp.gate_proj.weight")));
            t.add(new Tensor(b + "ffn_up.weight", new long[] {inner, d}, () -> read(h + "mlp.up_proj.weight")));
            t.add(new Tensor(b + "ffn_down.weight", new long[] {d, inner}, () -> read(h + "mlp.down_proj.weight")));
        }
    }

    /**
     * llama3 rope scaling as llama.cpp takes it: one divisor per rotated pair, applied to that pair's frequency
     * {@code theta^(-2i/hd)}: 1 for wavelengths under {@code original / high_freq_factor}, {@code factor} over
     * {@code original / low_freq_factor}, and the smooth blend {@code 1 / ((1 - s) / factor + s)} between, with
     * {@code s = (original / wavelength - low) / (high - low)}; as {@code convert_hf_to_gguf.py} computes them, except
     * that {@code original_max_position_embeddings} is read from {@code rope_scaling} as Hugging Face reads it (the
     * script reads the top level and so always uses its default 8192, which is the value Llama 3.x publishes).
     */
    static float[] llama3RopeFactors(JsonNode scaling, double theta, int hd) {
        double factor = scaling.path("factor").asDouble(8.0);
        double low = scaling.path("low_freq_factor").asDouble(1.0);
        double high = scaling.path("high_freq_factor").asDouble(4.0);
        double original = scaling.path("original_max_position_embeddings").asDouble(8192);
        double lowFreqWavelength = original / low;
        double highFreqWavelength = original / high;
        float[] out = new float[hd / 2];
        for (int i = 0; i < out.length; i++) {
            // float32 like the script's torch.arange(..., dtype=float32) / dim and base ** that
            float freq = (float) (1.0 / Math.pow(theta, (float) (2 * i) / hd));
            double wavelength = 2 * Math.PI / freq;
            if (wavelength < highFreqWavelength) {
                out[i] = 1f;
            } else if (wavelength > lowFreqWavelength) {
                out[i] = (float) factor;
            } else {
                double smooth = (original / wavelength - low) / (high - low);
                out[i] = (float) (1 / ((1 - smooth) / factor + smooth));
            }
        }
        return out;
    }

    /**
     * A vocabulary of placeholder tokens that llama.cpp's byte-level BPE accepts: ids 0..255 are GPT-2's byte
     * alphabet (so that "\n", which llama.cpp tokenises at load, exists), the rest {@code <id>}; no merges.
     */
    private static void placeholderVocabulary(int vocab, JsonNode c, GgufWriter w) {
        String[] tokens = new String[vocab];
        int[] byteChars = gpt2ByteAlphabet();
        for (int i = 0; i < vocab; i++) {
            tokens[i] = i < 256 ? new String(Character.toChars(byteChars[i])) : "<" + i + ">";
        }
        int[] types = new int[vocab];
        java.util.Arrays.fill(types, 1);
        w.putString("tokenizer.ggml.model", "gpt2");
        w.putString("tokenizer.ggml.pre", "default");
        w.putStrings("tokenizer.ggml.tokens", List.of(tokens));
        w.putInt32s("tokenizer.ggml.token_type", types);
        w.putStrings("tokenizer.ggml.merges", List.of());
        int eos = c.path("eos_token_id").asInt(vocab - 1);
        w.putUint32("tokenizer.ggml.eos_token_id", eos);
        w.putUint32("tokenizer.ggml.bos_token_id", c.path("bos_token_id").asInt(eos));
    }

    /** GPT-2's {@code bytes_to_unicode}: the code point that stands for each byte. */
    private static int[] gpt2ByteAlphabet() {
        int[] out = new int[256];
        int n = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            out[b] = printable ? b : 256 + n++;
        }
        return out;
    }

    /** {@code [rows, cols]} row-major to {@code [cols, rows]}. */
    private static float[] transpose(float[] a, int rows, int cols) {
        float[] t = new float[a.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = a[r * cols + c];
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
