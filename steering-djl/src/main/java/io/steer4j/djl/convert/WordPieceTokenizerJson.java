package io.steer4j.djl.convert;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code tokenizer.json} Hugging Face's {@code BertTokenizerFast} builds from a BERT {@code vocab.txt}:
 * BertNormalizer (lower-casing and accent stripping for uncased models), BertPreTokenizer, WordPiece with
 * {@code ##} continuations and {@code [UNK]}, the {@code [CLS] A [SEP] (B [SEP])} post-processor, and the five
 * special tokens as added tokens. No padding or truncation is stored, as {@code save_pretrained} writes it.
 */
final class WordPieceTokenizerJson {
    private static final List<String> SPECIAL = List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]");
    private static final ObjectMapper JSON = new ObjectMapper();

    private WordPieceTokenizerJson() {
    }

    /** The vocabulary of a {@code vocab.txt}: one token per line, the line number is the id. */
    static Map<String, Integer> readVocab(Path vocabTxt) throws IOException {
        Map<String, Integer> vocab = new LinkedHashMap<>();
        List<String> lines = Files.readAllLines(vocabTxt, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
            String token = lines.get(i);
            // BertTokenizer strips the line ending only; a repeated token keeps its first id
            vocab.putIfAbsent(token.endsWith("\r") ? token.substring(0, token.length() - 1) : token, i);
        }
        if (!vocab.containsKey("[CLS]") || !vocab.containsKey("[SEP]") || !vocab.containsKey("[UNK]")) {
            throw new CheckpointFormatException(vocabTxt + " lacks [CLS], [SEP] or [UNK]: not a BERT vocabulary");
        }
        return vocab;
    }

    /** The tokenizer.json text for {@code vocab}. */
    static String build(Map<String, Integer> vocab, boolean lowerCase) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        SPECIAL.stream().filter(vocab::containsKey).sorted((a, b) -> vocab.get(a) - vocab.get(b)).forEach(s -> {
            ObjectNode t = added.addObject();
            t.put("id", vocab.get(s));
            t.put("content", s);
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", true);
        });
        ObjectNode normalizer = root.putObject("normalizer");
        normalizer.put("type", "BertNormalizer");
        normalizer.put("clean_text", true);
        normalizer.put("handle_chinese_chars", true);
        normalizer.putNull("strip_accents"); // null: strip when lower-casing, as BERT's basic tokenizer does
        normalizer.put("lowercase", lowerCase);
        root.putObject("pre_tokenizer").put("type", "BertPreTokenizer");
        ObjectNode post = root.putObject("post_processor");
        post.put("type", "TemplateProcessing");
        ArrayNode single = post.putArray("single");
        special(single, "[CLS]", 0);
        sequence(single, "A", 0);
        special(single, "[SEP]", 0);
        ArrayNode pair = post.putArray("pair");
        special(pair, "[CLS]", 0);
        sequence(pair, "A", 0);
        special(pair, "[SEP]", 0);
        sequence(pair, "B", 1);
        special(pair, "[SEP]", 1);
        ObjectNode specials = post.putObject("special_tokens");
        for (String s : List.of("[CLS]", "[SEP]")) {
            ObjectNode t = specials.putObject(s);
            t.put("id", s);
            t.putArray("ids").add(vocab.get(s));
            t.putArray("tokens").add(s);
        }
        ObjectNode decoder = root.putObject("decoder");
        decoder.put("type", "WordPiece");
        decoder.put("prefix", "##");
        decoder.put("cleanup", true);
        ObjectNode model = root.putObject("model");
        model.put("type", "WordPiece");
        model.put("unk_token", "[UNK]");
        model.put("continuing_subword_prefix", "##");
        model.put("max_input_chars_per_word", 100);
        ObjectNode v = model.putObject("vocab");
        vocab.forEach(v::put);
        return JSON.writeValueAsString(root);
    }

    /** {@code tokenizer_config.json} and {@code special_tokens_map.json} texts, as BertTokenizerFast saves them. */
    static String tokenizerConfig(boolean lowerCase, int maxLength) throws IOException {
        ObjectNode c = JSON.createObjectNode();
        c.put("tokenizer_class", "BertTokenizer");
        c.put("do_lower_case", lowerCase);
        c.put("tokenize_chinese_chars", true);
        c.putNull("strip_accents");
        c.put("unk_token", "[UNK]");
        c.put("sep_token", "[SEP]");
        c.put("pad_token", "[PAD]");
        c.put("cls_token", "[CLS]");
        c.put("mask_token", "[MASK]");
        c.put("model_max_length", maxLength);
        c.put("clean_up_tokenization_spaces", true);
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(c);
    }

    static String specialTokensMap() throws IOException {
        ObjectNode c = JSON.createObjectNode();
        c.put("unk_token", "[UNK]");
        c.put("sep_token", "[SEP]");
        c.put("pad_token", "[PAD]");
        c.put("cls_token", "[CLS]");
        c.put("mask_token", "[MASK]");
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(c);
    }

    private static void special(ArrayNode a, String id, int type) {
        ObjectNode t = a.addObject().putObject("SpecialToken");
        t.put("id", id);
        t.put("type_id", type);
    }

    private static void sequence(ArrayNode a, String id, int type) {
        ObjectNode t = a.addObject().putObject("Sequence");
        t.put("id", id);
        t.put("type_id", type);
    }
}
