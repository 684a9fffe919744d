package io.steer4j.djl.gguf;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.steer4j.core.format.VectorFileFormatException;
import io.steer4j.core.format.gguf.GgufModelFile;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The Hugging Face {@code tokenizer.json} that a GGUF file's {@code tokenizer.ggml.*} metadata describes, built as
 * transformers builds it when it loads a GGUF file ({@code integrations/ggml.py}: {@code GGUFLlamaConverter},
 * {@code GGUFGPTConverter}), so text is tokenised exactly as the Hugging Face tokenizer of the same vocabulary:
 * <ul>
 *   <li>{@code tokenizer.ggml.model = llama} (SentencePiece): a BPE model with byte fallback over the tokens, with
 *       the file's merges or, when it has none (llama.cpp's converter writes scores, not merges), merges derived
 *       from the scores as transformers derives them; {@code ▁} prepended and spaces replaced when
 *       {@code add_space_prefix} (default true); BOS added when {@code add_bos_token} (default true).</li>
 *   <li>{@code tokenizer.ggml.model = gpt2} (byte-level BPE): tokens and merges, GPT-2's byte-level
 *       pre-tokenizer ({@code tokenizer.ggml.pre} {@code gpt-2} or {@code default}; other pre-tokenizers, with
 *       their own split patterns, are refused by name for now).</li>
 * </ul>
 * Control and unknown tokens (token types 3 and 2) become special added tokens, user-defined ones (4) plain
 * added tokens.
 */
final class GgufTokenizerJson {
    static final int TYPE_NORMAL = 1;
    static final int TYPE_UNKNOWN = 2;
    static final int TYPE_CONTROL = 3;
    static final int TYPE_USER_DEFINED = 4;

    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private GgufTokenizerJson() {
    }

    /** What the converter produces: the tokenizer, and the special tokens a tokenizer_config.json names. */
    record Built(ObjectNode tokenizer, String bosToken, String eosToken, boolean addBos) {
    }

    static Built build(GgufModelFile f) throws VectorFileFormatException {
        String model = f.string("tokenizer.ggml.model");
        List<String> tokens = f.list("tokenizer.ggml.tokens", String.class);
        Map<String, Object> meta = f.metadata();
        List<Long> types = meta.containsKey("tokenizer.ggml.token_type")
                ? f.list("tokenizer.ggml.token_type", Long.class) : null;
        if (types != null && types.size() != tokens.size()) {
            throw new VectorFileFormatException(f.file(), "tokenizer.ggml.token_type has " + types.size()
                    + " entries for " + tokens.size() + " tokens");
        }
        int bos = tokenId(f, "tokenizer.ggml.bos_token_id", tokens.size());
        int eos = tokenId(f, "tokenizer.ggml.eos_token_id", tokens.size());
        int unk = tokenId(f, "tokenizer.ggml.unknown_token_id", tokens.size());
        boolean llama = model.equals("llama");
        if (!llama && !model.equals("gpt2")) {
            throw new VectorFileFormatException(f.file(), "tokenizer.ggml.model is " + printable(model)
                    + "; steer4j builds 'llama' (SentencePiece) and 'gpt2' (byte-level BPE) tokenizers");
        }
        boolean addBos = flag(f, "tokenizer.ggml.add_bos_token", llama);
        boolean addEos = flag(f, "tokenizer.ggml.add_eos_token", false);
        List<String[]> merges = meta.containsKey("tokenizer.ggml.merges")
                ? splitMerges(f, f.list("tokenizer.ggml.merges", String.class))
                : llama ? mergesFromScores(tokens, f.list("tokenizer.ggml.scores", Double.class)) : null;
        if (merges == null) {
            throw new VectorFileFormatException(f.file(), "a gpt2 tokenizer needs tokenizer.ggml.merges");
        }

        ObjectNode root = F.objectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int i = 0; i < tokens.size(); i++) {
            int type = types == null ? (i == unk || i == bos || i == eos ? TYPE_CONTROL : TYPE_NORMAL)
                    : types.get(i).intValue();
            if (type == TYPE_CONTROL || type == TYPE_UNKNOWN || type == TYPE_USER_DEFINED) {
                ObjectNode a = added.addObject();
                a.put("id", i);
                a.put("content", tokens.get(i));
                a.put("single_word", false);
                a.put("lstrip", false);
                a.put("rstrip", false);
                a.put("normalized", type == TYPE_USER_DEFINED && !llama);
                a.put("special", type != TYPE_USER_DEFINED);
            }
        }
        if (llama) {
            boolean prefix = flag(f, "tokenizer.ggml.add_space_prefix", true);
            ObjectNode norm = root.putObject("normalizer");
            norm.put("type", "Sequence");
            ArrayNode ns = norm.putArray("normalizers");
            if (prefix) {
                ns.addObject().put("type", "Prepend").put("prepend", "\u2581");
            }
            ObjectNode rep = ns.addObject().put("type", "Replace");
            rep.putObject("pattern").put("String", " ");
            rep.put("content", "\u2581");
            root.putNull("pre_tokenizer");
        } else {
            String pre = meta.containsKey("tokenizer.ggml.pre") ? f.string("tokenizer.ggml.pre") : "default";
            if (!pre.equals("default") && !pre.equals("gpt-2") && !pre.equals("gpt2")) {
                throw new VectorFileFormatException(f.file(), "tokenizer.ggml.pre is " + printable(pre)
                        + "; steer4j builds the GPT-2 pre-tokenizer ('gpt-2', 'default') only for now");
            }
            root.set("normalizer", null);
            root.set("pre_tokenizer", byteLevel(F.objectNode(), true));
        }
        root.set("post_processor", postProcessor(tokens, addBos ? bos : -1, addEos ? eos : -1, llama));
        root.set("decoder", llama ? sentencePieceDecoder(flag(f, "tokenizer.ggml.add_space_prefix", true))
                : byteLevel(F.objectNode(), true));
        ObjectNode m = root.putObject("model");
        m.put("type", "BPE");
        m.putNull("dropout");
        if (llama && unk >= 0) {
            m.put("unk_token", tokens.get(unk));
        } else {
            m.putNull("unk_token");
        }
        m.putNull("continuing_subword_prefix");
        m.putNull("end_of_word_suffix");
        m.put("fuse_unk", llama);
        m.put("byte_fallback", llama);
        ObjectNode vocab = m.putObject("vocab");
        for (int i = 0; i < tokens.size(); i++) {
            vocab.put(tokens.get(i), i);
        }
        ArrayNode ms = m.putArray("merges");
        for (String[] p : merges) {
            ms.addArray().add(p[0]).add(p[1]);
        }
        return new Built(root, bos >= 0 ? tokens.get(bos) : null, eos >= 0 ? tokens.get(eos) : null, addBos);
    }

    private static ObjectNode byteLevel(ObjectNode n, boolean trimOffsets) {
        n.put("type", "ByteLevel");
        n.put("add_prefix_space", false);
        n.put("trim_offsets", trimOffsets);
        n.put("use_regex", true);
        return n;
    }

    private static ObjectNode sentencePieceDecoder(boolean stripPrefix) {
        ObjectNode d = F.objectNode().put("type", "Sequence");
        ArrayNode ds = d.putArray("decoders");
        ObjectNode rep = ds.addObject().put("type", "Replace");
        rep.putObject("pattern").put("String", "\u2581");
        rep.put("content", " ");
        ds.addObject().put("type", "ByteFallback");
        ds.addObject().put("type", "Fuse");
        if (stripPrefix) {
            ds.addObject().put("type", "Strip").put("content", " ").put("start", 1).put("stop", 0);
        }
        return d;
    }

    /** BOS and EOS around the text when the file asks for them, as transformers' Llama converter adds them. */
    private static ObjectNode postProcessor(List<String> tokens, int bos, int eos, boolean llama) {
        if (bos < 0 && eos < 0) {
            return llama ? null : byteLevel(F.objectNode(), false);
        }
        ObjectNode p = F.objectNode().put("type", "TemplateProcessing");
        ArrayNode single = p.putArray("single");
        ArrayNode pair = p.putArray("pair");
        ObjectNode specials = p.putObject("special_tokens");
        for (int seq = 0; seq < 2; seq++) {
            ArrayNode target = seq == 0 ? single : pair;
            for (int part = 0; part < (seq == 0 ? 1 : 2); part++) {
                if (bos >= 0) {
                    target.addObject().putObject("SpecialToken").put("id", tokens.get(bos)).put("type_id", part);
                }
                target.addObject().putObject("Sequence").put("id", part == 0 ? "A" : "B").put("type_id", part);
                if (eos >= 0) {
                    target.addObject().putObject("SpecialToken").put("id", tokens.get(eos)).put("type_id", part);
                }
            }
        }
        for (int id : new int[] {bos, eos}) {
            if (id >= 0) {
                ObjectNode s = specials.putObject(tokens.get(id));
                s.put("id", tokens.get(id));
                s.putArray("ids").add(id);
                s.putArray("tokens").add(tokens.get(id));
            }
        }
        return p;
    }

    private static List<String[]> splitMerges(GgufModelFile f, List<String> merges) throws VectorFileFormatException {
        List<String[]> out = new ArrayList<>(merges.size());
        for (int i = 0; i < merges.size(); i++) {
            String m = merges.get(i);
            int sp = m.indexOf(' ', 1);
            if (sp < 0) {
                throw new VectorFileFormatException(f.file(), "tokenizer.ggml.merges entry " + i
                        + " is not two tokens separated by a space");
            }
            out.add(new String[] {m.substring(0, sp), m.substring(sp + 1)});
        }
        return out;
    }

    /**
     * transformers' {@code GGUFTokenizerSkeleton} merges for a SentencePiece vocabulary without merges: every
     * split of every token into two tokens of the vocabulary, those of one token ordered by the parts' scores
     * (highest first), then all ordered, stably, by the merged token's score (highest first).
     */
    static List<String[]> mergesFromScores(List<String> tokens, List<Double> scores) {
        if (scores.size() != tokens.size()) {
            throw new IllegalArgumentException(scores.size() + " scores for " + tokens.size() + " tokens");
        }
        Map<String, Double> score = new HashMap<>();
        for (int i = 0; i < tokens.size(); i++) {
            score.put(tokens.get(i), scores.get(i));
        }
        record Merge(String left, String right, double score) {
        }
        List<Merge> all = new ArrayList<>();
        // As in Python's dict, a repeated token counts once, at its first position, with its last score.
        Map<String, Boolean> seen = new HashMap<>();
        for (String t : tokens) {
            if (seen.put(t, Boolean.TRUE) != null) {
                continue;
            }
            List<Merge> local = new ArrayList<>();
            for (int i = 1; i < t.length(); i++) {
                String l = t.substring(0, i);
                String r = t.substring(i);
                if (score.containsKey(l) && score.containsKey(r)) {
                    local.add(new Merge(l, r, score.get(t)));
                }
            }
            local.sort((a, b) -> {
                int c = Double.compare(score.get(b.left()), score.get(a.left()));
                return c != 0 ? c : Double.compare(score.get(b.right()), score.get(a.right()));
            });
            all.addAll(local);
        }
        all.sort((a, b) -> Double.compare(b.score(), a.score()));
        List<String[]> out = new ArrayList<>(all.size());
        for (Merge m : all) {
            out.add(new String[] {m.left(), m.right()});
        }
        return out;
    }

    private static int tokenId(GgufModelFile f, String key, int vocab) throws VectorFileFormatException {
        if (!f.metadata().containsKey(key)) {
            return -1;
        }
        long id = f.integer(key);
        if (id < 0 || id >= vocab) {
            throw new VectorFileFormatException(f.file(), key + " = " + id + " is outside the " + vocab + " tokens");
        }
        return (int) id;
    }

    private static boolean flag(GgufModelFile f, String key, boolean dflt) throws VectorFileFormatException {
        Object v = f.metadata().get(key);
        if (v == null) {
            return dflt;
        }
        if (!(v instanceof Boolean b)) {
            throw new VectorFileFormatException(f.file(), "metadata '" + key + "' is not a bool");
        }
        return b;
    }

    /** A value from the file as a message may show it: at most 32 printable characters. */
    static String printable(String s) {
        StringBuilder b = new StringBuilder("'");
        for (int i = 0; i < Math.min(s.length(), 32); i++) {
            char c = s.charAt(i);
            b.append(c < 0x20 || c == 0x7f ? '?' : c);
        }
        return b.append(s.length() > 32 ? "...'" : "'").toString();
    }

    static String toJson(ObjectNode n) {
        try {
            return new ObjectMapper().writeValueAsString(n);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
