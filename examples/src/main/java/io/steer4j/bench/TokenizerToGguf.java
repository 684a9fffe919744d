package io.steer4j.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steer4j.core.format.gguf.GgufWriter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a Hugging Face folder's {@code tokenizer.json} as GGUF {@code tokenizer.ggml.*} metadata, as llama.cpp's
 * converter does for the two kinds steer4j reads back: byte-level BPE ({@code gpt2}: tokens, merges,
 * {@code pre = gpt-2}) and SentencePiece BPE with byte fallback ({@code llama}: tokens, scores, token types, and the
 * merges too, so that a reader that rebuilds the Hugging Face tokenizer gets the checkpoint's own merge order
 * rather than one derived from scores). The chat template of {@code tokenizer_config.json} goes to
 * {@code tokenizer.chat_template}.
 *
 * <p>Token types as gguf-py numbers them: 1 normal, 2 unknown, 3 control (special added tokens), 4 user-defined
 * (other added tokens), 5 unused (padding up to the embedding's rows), 6 byte ({@code <0xNN>}).
 */
final class TokenizerToGguf {
    private TokenizerToGguf() {
    }

    /**
     * Adds the tokenizer of {@code folder} to {@code w}.
     *
     * @param vocab rows of the token embedding (the vocabulary is padded to it)
     * @throws IOException when the tokenizer is neither kind
     */
    static void write(Path folder, JsonNode config, int vocab, GgufWriter w) throws IOException {
        ObjectMapper json = new ObjectMapper();
        JsonNode t = Files.isRegularFile(folder.resolve("tokenizer.json"))
                ? json.readTree(folder.resolve("tokenizer.json").toFile()) : fromVocabAndMerges(folder, config, json);
        JsonNode model = t.path("model");
        if (!model.path("type").asText().equals("BPE")) {
            throw new IOException("the GGUF writer converts BPE tokenizers, not " + model.path("type").asText());
        }
        boolean spm = model.path("byte_fallback").asBoolean(false);
        String[] tokens = new String[vocab];
        int[] types = new int[vocab];
        model.path("vocab").fields().forEachRemaining(e -> {
            int id = e.getValue().asInt();
            if (id >= 0 && id < vocab) {
                tokens[id] = e.getKey();
                types[id] = spm && e.getKey().matches("<0x[0-9A-F]{2}>") ? 6 : 1;
            }
        });
        String unk = model.path("unk_token").isTextual() ? model.path("unk_token").asText() : null;
        for (JsonNode a : t.path("added_tokens")) {
            int id = a.path("id").asInt();
            if (id >= 0 && id < vocab) {
                tokens[id] = a.path("content").asText();
                types[id] = a.path("content").asText().equals(unk) ? 2 : a.path("special").asBoolean() ? 3 : 4;
            }
        }
        for (int i = 0; i < vocab; i++) {
            if (tokens[i] == null) {
                tokens[i] = "[PAD" + i + "]";
                types[i] = 5;
            }
        }
        List<String> merges = new ArrayList<>();
        for (JsonNode m : model.path("merges")) {
            merges.add(m.isArray() ? m.get(0).asText() + " " + m.get(1).asText() : m.asText());
        }
        w.putString("tokenizer.ggml.model", spm ? "llama" : "gpt2");
        if (!spm) {
            w.putString("tokenizer.ggml.pre", "gpt-2");
        }
        w.putStrings("tokenizer.ggml.tokens", List.of(tokens));
        if (spm) {
            w.putFloat32s("tokenizer.ggml.scores", scores(tokens, types, merges));
        }
        w.putInt32s("tokenizer.ggml.token_type", types);
        w.putStrings("tokenizer.ggml.merges", merges);
        int bos = firstId(config.path("bos_token_id"));
        int eos = firstId(config.path("eos_token_id"));
        if (bos >= 0) {
            w.putUint32("tokenizer.ggml.bos_token_id", bos);
        }
        if (eos >= 0) {
            w.putUint32("tokenizer.ggml.eos_token_id", eos);
        }
        if (unk != null && model.path("vocab").has(unk)) {
            w.putUint32("tokenizer.ggml.unknown_token_id", model.path("vocab").path(unk).asInt());
        }
        JsonNode single = t.path("post_processor").path("single");
        if (t.path("post_processor").path("type").asText().equals("TemplateProcessing") && single.size() > 0) {
            w.putBool("tokenizer.ggml.add_bos_token", single.get(0).has("SpecialToken"));
            w.putBool("tokenizer.ggml.add_eos_token", single.get(single.size() - 1).has("SpecialToken"));
        } else {
            w.putBool("tokenizer.ggml.add_bos_token", false);
            w.putBool("tokenizer.ggml.add_eos_token", false);
        }
        if (spm) {
            w.putBool("tokenizer.ggml.add_space_prefix", t.path("normalizer").toString().contains("\"Prepend\""));
        }
        Path tc = folder.resolve("tokenizer_config.json");
        if (Files.isRegularFile(tc)) {
            JsonNode template = json.readTree(tc.toFile()).path("chat_template");
            if (template.isTextual()) {
                w.putString("tokenizer.chat_template", template.asText());
            }
        }
    }

    /** Whether {@code folder} has a tokenizer this class converts. */
    static boolean present(Path folder) {
        return Files.isRegularFile(folder.resolve("tokenizer.json"))
                || Files.isRegularFile(folder.resolve("vocab.json")) && Files.isRegularFile(folder.resolve("merges.txt"));
    }

    /**
     * GPT-2's original layout ({@code vocab.json} + {@code merges.txt}) as the BPE model of a tokenizer.json, with
     * {@code <|endoftext|>} and the config's BOS and EOS as special tokens, as steer4j's tokenizer loading reads it.
     */
    private static JsonNode fromVocabAndMerges(Path folder, JsonNode config, ObjectMapper json) throws IOException {
        com.fasterxml.jackson.databind.node.ObjectNode t = json.createObjectNode();
        com.fasterxml.jackson.databind.node.ObjectNode model = t.putObject("model");
        model.put("type", "BPE");
        JsonNode vocab = json.readTree(folder.resolve("vocab.json").toFile());
        model.set("vocab", vocab);
        com.fasterxml.jackson.databind.node.ArrayNode added = t.putArray("added_tokens");
        java.util.Set<Integer> special = new java.util.LinkedHashSet<>();
        if (vocab.has("<|endoftext|>")) {
            special.add(vocab.get("<|endoftext|>").asInt());
        }
        special.add(firstId(config.path("bos_token_id")));
        special.add(firstId(config.path("eos_token_id")));
        vocab.fields().forEachRemaining(e -> {
            if (special.contains(e.getValue().asInt())) {
                added.addObject().put("id", e.getValue().asInt()).put("content", e.getKey()).put("special", true);
            }
        });
        com.fasterxml.jackson.databind.node.ArrayNode merges = model.putArray("merges");
        for (String line : Files.readAllLines(folder.resolve("merges.txt"))) {
            if (!line.isBlank() && !line.startsWith("#version")) {
                merges.add(line);
            }
        }
        return t;
    }

    /**
     * SentencePiece-style scores, higher merging first as llama.cpp's tokenizer merges: a token that merge
     * {@code r} makes scores {@code -r}; byte, control and unknown tokens 0; any other token below every merge.
     */
    private static float[] scores(String[] tokens, int[] types, List<String> merges) {
        Map<String, Integer> made = new HashMap<>();
        for (int r = 0; r < merges.size(); r++) {
            made.putIfAbsent(merges.get(r).replace(" ", ""), r);
        }
        float[] s = new float[tokens.length];
        for (int i = 0; i < tokens.length; i++) {
            Integer r = made.get(tokens[i]);
            s[i] = types[i] != 1 ? 0f : r != null ? -r : -(merges.size() + i);
        }
        return s;
    }

    private static int firstId(JsonNode n) {
        if (n.isArray()) {
            return n.size() > 0 ? n.get(0).asInt(-1) : -1;
        }
        return n.isIntegralNumber() ? n.asInt() : -1;
    }
}
