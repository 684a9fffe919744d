package io.steer4j.djl.gguf;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.steer4j.core.format.VectorFileFormatException;
import io.steer4j.core.format.gguf.GgmlType;
import io.steer4j.core.format.safetensors.SafetensorsHeader;
import io.steer4j.core.format.gguf.GgufModelFile;
import io.steer4j.core.format.gguf.GgufTensorInfo;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a llama.cpp GGUF model file (architectures {@code gpt2} and {@code llama}) into the Hugging Face folder
 * steer4j loads: {@code config.json} from the {@code {arch}.*} metadata, {@code model.safetensors} with Hugging
 * Face's tensor names and layouts, {@code tokenizer.json} from {@code tokenizer.ggml.*} ({@link GgufTokenizerJson}),
 * {@code tokenizer_config.json} with {@code tokenizer.chat_template}, and {@code generation_config.json}.
 *
 * <p>Layouts are undone as transformers' GGUF loader undoes them: GPT-2's matrices are transposed back to Conv1D
 * {@code [in, out]}; Llama's query and key rows, which llama.cpp's converter permutes into interleaved rotary pairs,
 * are permuted back (GGUF row {@code 2i + j} of a head is Hugging Face row {@code j * headDim/2 + i}).
 *
 * <p>Every tensor is dequantised to float32 here (F16, BF16 and Q8_0 values widened exactly), which is what libtorch
 * loads; the folder takes four bytes per weight on disk. The safetensors metadata records each matrix's GGUF type
 * ({@link #TYPE_KEY_PREFIX}), from which the Java CPU engine keeps Q8_0 and 16-bit matrices in their own form again
 * (re-quantising Q8_0 gives back the file's blocks exactly: {@code io.steer4j.djl.engine.cpu.Q8Matrix#requantized}).
 *
 * <pre>{@code
 * Path folder = GgufCheckpoint.unpack(Path.of("stories260k-q8_0.gguf"), Files.createTempDirectory("m"));
 * }</pre>
 */
public final class GgufCheckpoint {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The {@code __metadata__} key prefix under which {@code model.safetensors} records, for each matrix (2-D
     * tensor), the GGUF type its values were stored in ({@code gguf.type.h.0.attn.c_attn.weight} = {@code Q8_0}):
     * the Java CPU engine keeps a matrix that was Q8_0 or 16-bit in that form again (its float32 values here are
     * exactly the file's), instead of four bytes a weight.
     */
    public static final String TYPE_KEY_PREFIX = "gguf.type.";

    /** One output tensor: its Hugging Face name and shape, its GGUF type, and how to make its values from the file. */
    private record Out(String name, long[] shape, GgmlType type, Source source) {
    }

    @FunctionalInterface
    private interface Source {
        float[] values() throws IOException;
    }

    private final GgufModelFile file;
    private final String arch;

    private GgufCheckpoint(GgufModelFile file, String arch) {
        this.file = file;
        this.arch = arch;
    }

    /**
     * Writes the Hugging Face folder of {@code gguf} into {@code dir} (created if missing) and returns {@code dir}.
     *
     * @throws VectorFileFormatException naming the file and the problem: an architecture other than gpt2 and llama,
     *                                   a missing key or tensor, a shape that contradicts the metadata
     */
    public static Path unpack(Path gguf, Path dir) throws IOException {
        try (GgufModelFile f = GgufModelFile.open(gguf)) {
            String arch = f.string("general.architecture");
            if (!arch.equals("gpt2") && !arch.equals("llama")) {
                throw new VectorFileFormatException(gguf, "general.architecture is "
                        + GgufTokenizerJson.printable(arch) + "; steer4j loads gpt2 and llama GGUF files");
            }
            Files.createDirectories(dir);
            new GgufCheckpoint(f, arch).write(dir);
            return dir;
        }
    }

    private void write(Path dir) throws IOException {
        ObjectNode config = arch.equals("gpt2") ? gpt2Config() : llamaConfig();
        List<Out> tensors = arch.equals("gpt2") ? gpt2Tensors(config) : llamaTensors(config);
        GgufTokenizerJson.Built tok = GgufTokenizerJson.build(file);
        int vocab = config.get("vocab_size").asInt();
        if (tokenCount() != vocab) {
            throw error("the tokenizer has " + tokenCount() + " tokens but token_embd.weight has " + vocab + " rows");
        }
        long bos = file.metadata().containsKey("tokenizer.ggml.bos_token_id")
                ? file.integer("tokenizer.ggml.bos_token_id") : -1;
        long eos = file.metadata().containsKey("tokenizer.ggml.eos_token_id")
                ? file.integer("tokenizer.ggml.eos_token_id") : -1;
        if (bos >= 0) {
            config.put("bos_token_id", bos);
        }
        if (eos >= 0) {
            config.put("eos_token_id", eos);
        }
        writeText(dir.resolve("config.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(config));
        ObjectNode gen = F.objectNode();
        if (bos >= 0) {
            gen.put("bos_token_id", bos);
        }
        if (eos >= 0) {
            gen.put("eos_token_id", eos);
        }
        writeText(dir.resolve("generation_config.json"), JSON.writeValueAsString(gen));
        writeText(dir.resolve("tokenizer.json"), GgufTokenizerJson.toJson(tok.tokenizer()));
        ObjectNode tc = F.objectNode();
        if (tok.bosToken() != null) {
            tc.put("bos_token", tok.bosToken());
        }
        if (tok.eosToken() != null) {
            tc.put("eos_token", tok.eosToken());
        }
        if (file.metadata().containsKey("tokenizer.chat_template")) {
            // Only stored: the template runs in steer4j's sandboxed ChatTemplate, as any model folder's does.
            tc.put("chat_template", file.string("tokenizer.chat_template"));
        }
        writeText(dir.resolve("tokenizer_config.json"), JSON.writeValueAsString(tc));
        writeSafetensors(dir.resolve("model.safetensors"), tensors);
    }

    private int tokenCount() throws VectorFileFormatException {
        return file.list("tokenizer.ggml.tokens", String.class).size();
    }

    private ObjectNode gpt2Config() throws IOException {
        ObjectNode c = F.objectNode();
        c.putArray("architectures").add("GPT2LMHeadModel");
        c.put("model_type", "gpt2");
        int d = intKey("embedding_length");
        c.put("n_embd", d);
        c.put("n_layer", intKey("block_count"));
        c.put("n_head", intKey("attention.head_count"));
        c.put("n_positions", intKey("context_length"));
        c.put("n_ctx", intKey("context_length"));
        c.put("n_inner", intKey("feed_forward_length"));
        c.put("layer_norm_epsilon", file.real("gpt2.attention.layer_norm_epsilon"));
        c.put("activation_function", "gelu_new");
        c.put("vocab_size", rows("token_embd.weight", d));
        c.put("tie_word_embeddings", file.tensor("output.weight").isEmpty());
        return c;
    }

    private ObjectNode llamaConfig() throws IOException {
        ObjectNode c = F.objectNode();
        c.putArray("architectures").add("LlamaForCausalLM");
        c.put("model_type", "llama");
        int d = intKey("embedding_length");
        int heads = intKey("attention.head_count");
        int kvHeads = has("attention.head_count_kv") ? intKey("attention.head_count_kv") : heads;
        int headDim = has("attention.key_length") ? intKey("attention.key_length") : d / Math.max(heads, 1);
        if (has("attention.value_length") && intKey("attention.value_length") != headDim) {
            throw error("llama.attention.value_length differs from the key length; steer4j runs equal head sizes");
        }
        if (has("rope.dimension_count") && intKey("rope.dimension_count") != headDim) {
            throw error("llama.rope.dimension_count is not the head size; steer4j rotates whole Llama heads");
        }
        c.put("hidden_size", d);
        c.put("num_hidden_layers", intKey("block_count"));
        c.put("num_attention_heads", heads);
        c.put("num_key_value_heads", kvHeads);
        c.put("head_dim", headDim);
        c.put("intermediate_size", intKey("feed_forward_length"));
        c.put("max_position_embeddings", intKey("context_length"));
        c.put("rms_norm_eps", file.real("llama.attention.layer_norm_rms_epsilon"));
        c.put("rope_theta", has("rope.freq_base") ? file.real("llama.rope.freq_base") : 10000.0);
        c.put("hidden_act", "silu");
        c.put("vocab_size", rows("token_embd.weight", d));
        c.put("tie_word_embeddings", file.tensor("output.weight").isEmpty());
        c.put("attention_bias", file.tensor("blk.0.attn_q.bias").isPresent());
        if (file.tensor("rope_freqs.weight").isPresent()) {
            throw error("rope_freqs.weight (llama3 rope scaling as llama.cpp stores it) is not read yet; "
                    + "load the Hugging Face checkpoint instead");
        }
        String scaling = has("rope.scaling.type") ? file.string("llama.rope.scaling.type") : "none";
        switch (scaling) {
            case "none" -> c.putNull("rope_scaling");
            case "linear" -> {
                ObjectNode s = c.putObject("rope_scaling");
                s.put("rope_type", "linear");
                s.put("factor", file.real("llama.rope.scaling.factor"));
            }
            default -> throw error("llama.rope.scaling.type " + GgufTokenizerJson.printable(scaling)
                    + " is not supported (none and linear are)");
        }
        return c;
    }

    private List<Out> gpt2Tensors(ObjectNode c) throws IOException {
        long d = c.get("n_embd").asLong();
        long inner = c.get("n_inner").asLong();
        long vocab = c.get("vocab_size").asLong();
        List<Out> t = new ArrayList<>();
        t.add(plain("token_embd.weight", "wte.weight", vocab, d));
        t.add(plain("position_embd.weight", "wpe.weight", c.get("n_positions").asLong(), d));
        t.add(plain("output_norm.weight", "ln_f.weight", d));
        t.add(plain("output_norm.bias", "ln_f.bias", d));
        if (file.tensor("output.weight").isPresent()) {
            t.add(plain("output.weight", "lm_head.weight", vocab, d));
        }
        for (int l = 0; l < c.get("n_layer").asInt(); l++) {
            String b = "blk." + l + ".";
            String h = "h." + l + ".";
            t.add(plain(b + "attn_norm.weight", h + "ln_1.weight", d));
            t.add(plain(b + "attn_norm.bias", h + "ln_1.bias", d));
            t.add(conv1d(b + "attn_qkv.weight", h + "attn.c_attn.weight", d, 3 * d));
            t.add(plain(b + "attn_qkv.bias", h + "attn.c_attn.bias", 3 * d));
            t.add(conv1d(b + "attn_output.weight", h + "attn.c_proj.weight", d, d));
            t.add(plain(b + "attn_output.bias", h + "attn.c_proj.bias", d));
            t.add(plain(b + "ffn_norm.weight", h + "ln_2.weight", d));
            t.add(plain(b + "ffn_norm.bias", h + "ln_2.bias", d));
            t.add(conv1d(b + "ffn_up.weight", h + "mlp.c_fc.weight", d, inner));
            t.add(plain(b + "ffn_up.bias", h + "mlp.c_fc.bias", inner));
            t.add(conv1d(b + "ffn_down.weight", h + "mlp.c_proj.weight", inner, d));
            t.add(plain(b + "ffn_down.bias", h + "mlp.c_proj.bias", d));
        }
        return t;
    }

    private List<Out> llamaTensors(ObjectNode c) throws IOException {
        long d = c.get("hidden_size").asLong();
        long inner = c.get("intermediate_size").asLong();
        long vocab = c.get("vocab_size").asLong();
        int heads = c.get("num_attention_heads").asInt();
        int kvHeads = c.get("num_key_value_heads").asInt();
        long hd = c.get("head_dim").asLong();
        List<Out> t = new ArrayList<>();
        t.add(plain("token_embd.weight", "model.embed_tokens.weight", vocab, d));
        t.add(plain("output_norm.weight", "model.norm.weight", d));
        if (file.tensor("output.weight").isPresent()) {
            t.add(plain("output.weight", "lm_head.weight", vocab, d));
        }
        boolean bias = c.get("attention_bias").asBoolean();
        for (int l = 0; l < c.get("num_hidden_layers").asInt(); l++) {
            String b = "blk." + l + ".";
            String h = "model.layers." + l + ".";
            t.add(plain(b + "attn_norm.weight", h + "input_layernorm.weight", d));
            t.add(rotary(b + "attn_q.weight", h + "self_attn.q_proj.weight", heads, hd, d));
            t.add(rotary(b + "attn_k.weight", h + "self_attn.k_proj.weight", kvHeads, hd, d));
            t.add(plain(b + "attn_v.weight", h + "self_attn.v_proj.weight", kvHeads * hd, d));
            t.add(plain(b + "attn_output.weight", h + "self_attn.o_proj.weight", d, heads * hd));
            if (bias) {
                t.add(rotary(b + "attn_q.bias", h + "self_attn.q_proj.bias", heads, hd, 1));
                t.add(rotary(b + "attn_k.bias", h + "self_attn.k_proj.bias", kvHeads, hd, 1));
                t.add(plain(b + "attn_v.bias", h + "self_attn.v_proj.bias", kvHeads * hd));
                t.add(plain(b + "attn_output.bias", h + "self_attn.o_proj.bias", d));
            }
            t.add(plain(b + "ffn_norm.weight", h + "post_attention_layernorm.weight", d));
            t.add(plain(b + "ffn_gate.weight", h + "mlp.gate_proj.weight", inner, d));
            t.add(plain(b + "ffn_up.weight", h + "mlp.up_proj.weight", inner, d));
            t.add(plain(b + "ffn_down.weight", h + "mlp.down_proj.weight", d, inner));
        }
        return t;
    }

    /** A tensor stored as Hugging Face stores it: GGUF dims are the row-major shape reversed. */
    private Out plain(String gguf, String hf, long... shape) throws IOException {
        GgufTensorInfo info = tensor(gguf, shape);
        return new Out(hf, shape, info.type(), () -> file.floats(info));
    }

    /** A GPT-2 Conv1D weight {@code [in, out]}, which GGUF holds as the {@code [out, in]} matrix. */
    private Out conv1d(String gguf, String hf, long in, long out) throws IOException {
        GgufTensorInfo info = tensor(gguf, out, in);
        return new Out(hf, new long[] {in, out}, info.type(), () -> {
            float[] w = file.floats(info);
            float[] t = new float[w.length];
            int rows = (int) out;
            int cols = (int) in;
            for (int r = 0; r < rows; r++) {
                for (int k = 0; k < cols; k++) {
                    t[k * rows + r] = w[r * cols + k];
                }
            }
            return t;
        });
    }

    /**
     * A query or key projection (or its bias, {@code in = 1}) with llama.cpp's interleaved rotary rows put back in
     * Hugging Face's rotate-half order.
     */
    private Out rotary(String gguf, String hf, int heads, long hd, long in) throws IOException {
        long rows = heads * hd;
        GgufTensorInfo info = in == 1 ? tensor(gguf, rows) : tensor(gguf, rows, in);
        long[] shape = in == 1 ? new long[] {rows} : new long[] {rows, in};
        return new Out(hf, shape, info.type(), () -> {
            float[] w = file.floats(info);
            float[] out = new float[w.length];
            int half = (int) hd / 2;
            int n = (int) in;
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < half; i++) {
                    for (int j = 0; j < 2; j++) {
                        int from = (int) (h * hd + 2 * i + j);
                        int to = (int) (h * hd + (long) j * half + i);
                        System.arraycopy(w, from * n, out, to * n, n);
                    }
                }
            }
            return out;
        });
    }

    /** The tensor, checked to have the row-major {@code shape} the metadata implies. */
    private GgufTensorInfo tensor(String name, long... shape) throws VectorFileFormatException {
        GgufTensorInfo t = file.tensor(name).orElseThrow(() -> error("tensor '" + name + "' is missing"));
        long[] expected = new long[shape.length];
        for (int i = 0; i < shape.length; i++) {
            expected[i] = shape[shape.length - 1 - i];
        }
        if (!Arrays.equals(t.dims(), expected)) {
            throw error("tensor '" + name + "' has GGUF dims " + Arrays.toString(t.dims()) + " but the metadata "
                    + "implies " + Arrays.toString(expected));
        }
        return t;
    }

    /** Rows of a {@code [rows, cols]} tensor, checking its width. */
    private long rows(String name, long cols) throws VectorFileFormatException {
        GgufTensorInfo t = file.tensor(name).orElseThrow(() -> error("tensor '" + name + "' is missing"));
        if (t.dims().length != 2 || t.dims()[0] != cols) {
            throw error("tensor '" + name + "' has GGUF dims " + Arrays.toString(t.dims()) + "; expected ["
                    + cols + ", vocabulary]");
        }
        return t.dims()[1];
    }

    private boolean has(String suffix) {
        return file.metadata().containsKey(arch + "." + suffix);
    }

    private int intKey(String suffix) throws VectorFileFormatException {
        long v = file.integer(arch + "." + suffix);
        if (v <= 0 || v > Integer.MAX_VALUE) {
            throw error(arch + "." + suffix + " = " + v + " is not a positive int");
        }
        return (int) v;
    }

    private VectorFileFormatException error(String problem) {
        return new VectorFileFormatException(file.file(), problem);
    }

    private static void writeText(Path p, String s) throws IOException {
        Files.writeString(p, s, StandardCharsets.UTF_8);
    }

    /** A float32 safetensors file written one tensor at a time (a header of offsets first, then the data). */
    private static void writeSafetensors(Path target, List<Out> tensors) throws IOException {
        Map<String, Object> header = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", "pt");
        for (Out t : tensors) {
            // within the reader's entry cap (a 126-layer Llama has under 900 matrices); past it, all run as float32
            if (t.shape().length == 2 && metadata.size() < SafetensorsHeader.MAX_METADATA_ENTRIES) {
                metadata.put(TYPE_KEY_PREFIX + t.name(), t.type().name());
            }
        }
        header.put("__metadata__", metadata);
        long offset = 0;
        for (Out t : tensors) {
            long n = 1;
            for (long s : t.shape()) {
                n *= s;
            }
            ObjectNode e = F.objectNode();
            e.put("dtype", "F32");
            ArrayNode shape = e.putArray("shape");
            for (long s : t.shape()) {
                shape.add(s);
            }
            e.putArray("data_offsets").add(offset).add(offset + 4 * n);
            header.put(t.name(), e);
            offset += 4 * n;
        }
        byte[] h = JSON.writeValueAsBytes(header);
        int padded = (h.length + 7) / 8 * 8;
        byte[] hp = Arrays.copyOf(h, padded);
        Arrays.fill(hp, h.length, padded, (byte) ' ');
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
            os.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
            os.write(hp);
            // Through a 4 MiB buffer: a large vocabulary's embedding has more than 2^31 bytes as float32.
            ByteBuffer b = ByteBuffer.allocate(1 << 22).order(ByteOrder.LITTLE_ENDIAN);
            for (Out t : tensors) {
                float[] v = t.source().values();
                for (int i = 0; i < v.length; i += b.capacity() / 4) {
                    int n = Math.min(b.capacity() / 4, v.length - i);
                    b.clear();
                    b.asFloatBuffer().put(v, i, n);
                    os.write(b.array(), 0, 4 * n);
                }
            }
        }
        Files.move(tmp, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
}
