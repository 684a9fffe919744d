package io.steer4j.djl.tokenizer;

import io.steer4j.core.format.UntrustedJson;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The {@code tokenizer.json} of a GPT-2-style {@code vocab.json} + {@code merges.txt} pair, built as transformers'
 * {@code GPT2Converter} builds it for {@code GPT2TokenizerFast}: a BPE model over those files with GPT-2's
 * byte-level pre-tokenizer, decoder and post-processor, and the special tokens of the folder's
 * {@code tokenizer_config.json} / {@code special_tokens_map.json} (plus {@code <|endoftext|>}) as added tokens.
 *
 * <p>The tokenizers library's own vocab + merges constructor builds a bare BPE model without the byte-level
 * steps, which splits words at the wrong places ("Hello world" decodes as "H ellow orld"), so it is not used.
 */
final class ByteLevelBpeJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ByteLevelBpeJson() {
    }

    /**
     * The tokenizer.json bytes for the pair in {@code dir}.
     *
     * @throws IOException when a file cannot be read or vocab.json is not a JSON object
     */
    static byte[] build(Path dir, Path vocabFile, Path mergesFile) throws IOException {
        JsonNode vocab = UntrustedJson.read(vocabFile);
        if (vocab == null || !vocab.isObject()) {
            throw new IOException(vocabFile + " is not a JSON object of token -> id");
        }
        ObjectNode t = JSON.createObjectNode();
        t.put("version", "1.0");
        t.putNull("truncation");
        t.putNull("padding");
        ArrayNode added = t.putArray("added_tokens");
        for (String special : specialTokens(dir)) {
            JsonNode id = vocab.get(special);
            if (id != null && id.canConvertToLong()) {
                ObjectNode a = added.addObject();
                a.put("id", id.asLong());
                a.put("content", special);
                a.put("single_word", false);
                a.put("lstrip", false);
                a.put("rstrip", false);
                a.put("normalized", true);
                a.put("special", true);
            }
        }
        t.putNull("normalizer");
        byteLevel(t.putObject("pre_tokenizer"), false, true);
        byteLevel(t.putObject("post_processor"), true, false);
        byteLevel(t.putObject("decoder"), true, true);
        ObjectNode m = t.putObject("model");
        m.put("type", "BPE");
        m.putNull("dropout");
        m.putNull("unk_token");
        m.put("continuing_subword_prefix", "");
        m.put("end_of_word_suffix", "");
        m.put("fuse_unk", false);
        m.put("byte_fallback", false);
        m.set("vocab", vocab);
        ArrayNode merges = m.putArray("merges");
        List<String> lines = Files.readAllLines(mergesFile, StandardCharsets.UTF_8);
        for (String line : lines) {
            if (!line.startsWith("#version") && !line.isBlank()) {
                merges.add(line);
            }
        }
        return JSON.writeValueAsBytes(t);
    }

    /** {@code <|endoftext|>} and the bos / eos / unk / pad tokens the folder's configuration names. */
    private static Set<String> specialTokens(Path dir) throws IOException {
        Set<String> out = new LinkedHashSet<>();
        out.add("<|endoftext|>");
        for (String file : List.of("tokenizer_config.json", "special_tokens_map.json")) {
            Path f = dir.resolve(file);
            if (!Files.isRegularFile(f)) {
                continue;
            }
            JsonNode n = UntrustedJson.read(f);
            for (String key : List.of("bos_token", "eos_token", "unk_token", "pad_token")) {
                JsonNode v = n == null ? null : n.get(key);
                if (v != null && v.isObject()) {
                    v = v.get("content");
                }
                if (v != null && v.isTextual()) {
                    out.add(v.asText());
                }
            }
        }
        return out;
    }

    private static void byteLevel(ObjectNode n, boolean addPrefixSpace, boolean trimOffsets) {
        n.put("type", "ByteLevel");
        n.put("add_prefix_space", addPrefixSpace);
        n.put("trim_offsets", trimOffsets);
        n.put("use_regex", true);
    }
}
