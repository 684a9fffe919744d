package io.steer4j.djl.tokenizer;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import io.steer4j.core.format.JsonFailure;
import io.steer4j.djl.model.ModelLoadException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The caps on tokenizer files, checked before the native tokenizer reads them whole into memory: their size, and
 * for {@code tokenizer.json} the number of vocabulary entries, merges and added tokens. The largest published
 * {@code tokenizer.json} files (256k-token vocabularies) are about 35 MB and the largest vocabulary (XLM-V) has
 * 902k entries; a file beyond these caps is crafted or corrupt, and would otherwise cost many times its size in
 * native memory (an 84 MB file of 4.5 million entries took 1.7 GB and 10 s) before failing, if it fails at all.
 */
final class TokenizerFileLimit {
    /** Tokenizer files larger than this are refused (128 MiB). */
    static final long MAX_BYTES = 128L << 20;
    /** Entries accepted in each of {@code model.vocab}, {@code model.merges} and {@code added_tokens} (2^20). */
    static final int MAX_ENTRIES = 1 << 20;

    private static final JsonFactory JSON = JsonFactory.builder()
            .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
            .disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES)
            .build();

    private TokenizerFileLimit() {
    }

    /**
     * @throws ModelLoadException naming the file and its size when it is larger than {@link #MAX_BYTES}
     */
    static void check(Path file) throws IOException {
        long size = Files.size(file);
        if (size > MAX_BYTES) {
            throw new ModelLoadException(file + " is " + size + " bytes, more than the " + MAX_BYTES
                    + " bytes a tokenizer file may have (real ones are under 40 MB): crafted or corrupt?");
        }
    }

    /**
     * Checks the size, then streams {@code tokenizer.json} once, counting without keeping anything, so that a
     * vocabulary past {@link #MAX_ENTRIES} (or a file that is not JSON) is refused before the native library sees
     * it. Memory stays constant; time is that of one pass over the bytes (well under a second for 100 MB).
     *
     * @throws ModelLoadException naming the file and the section past the cap, or the position of a JSON error
     */
    static void checkTokenizerJson(Path file) throws IOException {
        check(file);
        try (InputStream in = Files.newInputStream(file); JsonParser p = JSON.createParser(in)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new ModelLoadException(file + " is not a JSON object");
            }
            // where the post-processor starts and ends, to read it again whole once the stream has checked it
            com.fasterxml.jackson.core.JsonLocation[] postProcessor = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                if (field.equals("added_tokens")) {
                    count(p, file, "added_tokens");
                } else if (field.equals("model") && p.currentToken() == JsonToken.START_OBJECT) {
                    MergeSuffixes merges = new MergeSuffixes();
                    String prefix = null;
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String m = p.currentName();
                        p.nextToken();
                        if (m.equals("merges") && p.currentToken() == JsonToken.START_ARRAY) {
                            merges.read(p, file);
                        } else if (m.equals("vocab")) {
                            count(p, file, "model." + m);
                        } else if (m.equals("continuing_subword_prefix")
                                && p.currentToken() == JsonToken.VALUE_STRING) {
                            checkString(p, file);
                            prefix = p.getText();
                        } else {
                            skipDecodingStrings(p, file);
                        }
                    }
                    merges.checkPrefix(prefix, file);
                } else if (field.equals("post_processor") && p.currentToken() == JsonToken.START_OBJECT) {
                    com.fasterxml.jackson.core.JsonLocation from = p.currentTokenLocation();
                    checkPipelineNumbers(p, file, field);
                    postProcessor = new com.fasterxml.jackson.core.JsonLocation[] {from, p.currentTokenLocation()};
                } else if (PIPELINE_SECTIONS.contains(field)) {
                    checkPipelineNumbers(p, file, field);
                } else {
                    skipDecodingStrings(p, file);
                }
            }
            if (postProcessor != null) {
                checkTemplates(file, postProcessor[0], postProcessor[1]);
            }
        } catch (JsonProcessingException e) {
            throw new ModelLoadException(file + " is " + JsonFailure.describe(e));
        } catch (java.io.CharConversionException e) {
            throw new ModelLoadException(file + " is not JSON text in a Unicode encoding");
        }
    }

    /**
     * The sections whose components the tokenizers library (0.21) deserializes through a helper that
     * <em>aborts the process</em> when a number does not fit its field: a decoder whose {@code Strip} count is
     * {@code 1e309} or {@code -1} killed the JVM with "fatal runtime error" during fuzzing. No component of these
     * sections takes a negative, fractional or 64-bit number (they are counts, ids and type ids), so any such
     * number is refused here, before the library sees the file.
     */
    private static final java.util.Set<String> PIPELINE_SECTIONS = java.util.Set.of("normalizer", "pre_tokenizer",
            "post_processor", "decoder");

    /** Walks the value the parser is on, refusing a number that is not an integer in [0, 2^32). */
    private static void checkPipelineNumbers(JsonParser p, Path file, String section) throws IOException {
        int depth = 0;
        JsonToken t = p.currentToken();
        do {
            if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
                depth++;
            } else if (t == JsonToken.END_OBJECT || t == JsonToken.END_ARRAY) {
                depth--;
            } else if (t == JsonToken.VALUE_STRING || t == JsonToken.FIELD_NAME) {
                checkString(p, file); // a bad escape is our error, not a native abort
            } else if (t == JsonToken.VALUE_NUMBER_FLOAT || (t == JsonToken.VALUE_NUMBER_INT
                    && (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER || p.getLongValue() < 0
                    || p.getLongValue() > 0xFFFF_FFFFL))) {
                throw new ModelLoadException(file + ": " + section + " holds a number at line "
                        + p.currentLocation().getLineNr() + ", column " + p.currentLocation().getColumnNr()
                        + " that is not an integer in [0, 2^32): no tokenizer component takes one, and the"
                        + " tokenizers library aborts the process on it");
            }
            if (depth == 0) {
                return;
            }
            t = p.nextToken();
        } while (t != null);
        throw new ModelLoadException(file + " ends inside " + section);
    }

    /** Counts the entries of the array or object the parser is on, refusing past {@link #MAX_ENTRIES}. */
    private static void count(JsonParser p, Path file, String section) throws IOException {
        JsonToken t = p.currentToken();
        if (t != JsonToken.START_ARRAY && t != JsonToken.START_OBJECT) {
            return; // the tokenizer library reports a wrongly typed section itself
        }
        JsonToken end = t == JsonToken.START_ARRAY ? JsonToken.END_ARRAY : JsonToken.END_OBJECT;
        long n = 0;
        JsonToken next;
        while ((next = p.nextToken()) != end) {
            if (next == null) {
                throw new ModelLoadException(file + " ends inside " + section);
            }
            if (next == JsonToken.FIELD_NAME) {
                p.nextToken();
            }
            skipDecodingStrings(p, file);
            if (++n > MAX_ENTRIES) {
                throw new ModelLoadException(file + ": " + section + " has more than " + MAX_ENTRIES
                        + " entries (the largest published vocabulary has about 900,000): crafted or corrupt?");
            }
        }
    }

    /**
     * Moves past the value the parser is on, decoding every string in it. Jackson checks a string's escapes only
     * when its text is read, and {@code skipChildren} never reads it; the tokenizers library (0.21) then met a bad
     * {@code \\u} escape inside a decoder and aborted the whole process (found by fuzzing), so every string is
     * decoded here and a bad one is refused by position.
     */
    private static void skipDecodingStrings(JsonParser p, Path file) throws IOException {
        int depth = 0;
        JsonToken t = p.currentToken();
        while (t != null) {
            if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
                depth++;
            } else if (t == JsonToken.END_OBJECT || t == JsonToken.END_ARRAY) {
                depth--;
            } else if (t == JsonToken.VALUE_STRING || t == JsonToken.FIELD_NAME) {
                checkString(p, file);
            }
            if (depth == 0) {
                return;
            }
            t = p.nextToken();
        }
    }

    /**
     * Decodes the string the parser is on and refuses an unpaired surrogate ({@code \\uD83D} alone): Jackson
     * accepts one, serde (the tokenizers library's JSON reader) does not, and inside a decoder that error aborted
     * the process.
     */
    private static void checkString(JsonParser p, Path file) throws IOException {
        String v = p.currentToken() == JsonToken.FIELD_NAME ? p.currentName() : p.getText();
        if (hasUnpairedSurrogate(v)) {
            throw new ModelLoadException(file + " has a string with an unpaired UTF-16 surrogate escape at line "
                    + p.currentLocation().getLineNr() + ", column " + p.currentLocation().getColumnNr()
                    + " (not valid Unicode text)");
        }
    }

    /** Largest post-processor, in bytes or characters, read whole by {@link #checkTemplates} (real ones: a few KB). */
    private static final long MAX_POST_PROCESSOR_LENGTH = 1L << 20;

    /**
     * Every special token a {@code TemplateProcessing} template of the post-processor names must be in its
     * {@code special_tokens} map: the tokenizers library (0.21) aborts the process ("no entry found for key", found
     * by fuzzing) when one is not. The post-processor was already streamed (numbers, strings); its extent in the
     * file is read again as a tree, which needs the whole object, within a 1 MiB bound.
     */
    private static void checkTemplates(Path file, com.fasterxml.jackson.core.JsonLocation start,
                                       com.fasterxml.jackson.core.JsonLocation end) throws IOException {
        // Jackson reports byte offsets when it parses the bytes itself and character offsets when it parses through
        // a reader (as it does with field-name canonicalization off, as here): cut the section out in those units.
        boolean bytes = start.getByteOffset() >= 0;
        long from = bytes ? start.getByteOffset() : start.getCharOffset();
        long to = (bytes ? end.getByteOffset() : end.getCharOffset()) + 1;
        if (from < 0 || to <= from) {
            throw new IllegalStateException("the JSON parser gave no offsets for " + file + "'s post_processor");
        }
        if (to - from > MAX_POST_PROCESSOR_LENGTH) {
            String unit = bytes ? " bytes" : " characters";
            throw new ModelLoadException(file + ": post_processor is " + (to - from) + unit + ", more than the "
                    + MAX_POST_PROCESSOR_LENGTH + unit + " steer4j reads (real ones are a few kilobytes): crafted or"
                    + " corrupt?");
        }
        String section;
        if (bytes) {
            try (InputStream in = Files.newInputStream(file)) {
                in.skipNBytes(from);
                section = new String(in.readNBytes((int) (to - from)), java.nio.charset.StandardCharsets.UTF_8);
            }
        } else {
            try (java.io.Reader in = Files.newBufferedReader(file, java.nio.charset.StandardCharsets.UTF_8)) {
                char[] chars = new char[(int) (to - from)];
                if (in.skip(from) != from || in.read(chars) != chars.length) {
                    throw new ModelLoadException(file + " changed while it was read");
                }
                section = new String(chars);
            }
        }
        checkTemplateTokens(new com.fasterxml.jackson.databind.ObjectMapper(JSON).readTree(section), file);
    }

    private static void checkTemplateTokens(com.fasterxml.jackson.databind.JsonNode n, Path file) {
        if (n == null || !n.isContainerNode()) {
            return;
        }
        if (n.isObject() && "TemplateProcessing".equals(n.path("type").asText(null))) {
            com.fasterxml.jackson.databind.JsonNode special = n.path("special_tokens");
            for (String part : new String[] {"single", "pair"}) {
                for (com.fasterxml.jackson.databind.JsonNode piece : n.path(part)) {
                    com.fasterxml.jackson.databind.JsonNode id = piece.path("SpecialToken").path("id");
                    if (id.isTextual() && !special.has(id.asText())) {
                        throw new ModelLoadException(file + ": post_processor's " + part + " template names a "
                                + "special token that its special_tokens map lacks (the tokenizers library aborts the"
                                + " process on this)");
                    }
                }
            }
        }
        n.forEach(child -> checkTemplateTokens(child, file));
    }

    private static boolean hasUnpairedSurrogate(String v) {
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < v.length() && Character.isLowSurrogate(v.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return true;
            }
        }
        return false;
    }

    /**
     * What the BPE builder of the tokenizers library (0.21) needs of the merges' second parts: it cuts
     * {@code continuing_subword_prefix} off each one by byte index, and aborts the process (found by fuzzing) when a
     * part is shorter than the prefix or the cut falls inside a character. Kept as a minimum length and the union
     * of the first 64 bytes' continuation positions, since the prefix may come after the merges in the file.
     */
    private static final class MergeSuffixes {
        private long count;
        private int minBytes = Integer.MAX_VALUE;
        private long insideCharacter; // bit i: some second part has a UTF-8 continuation byte at index i

        void read(JsonParser p, Path file) throws IOException {
            JsonToken t;
            while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                if (t == null) {
                    throw new ModelLoadException(file + " ends inside model.merges");
                }
                if (++count > MAX_ENTRIES) {
                    throw new ModelLoadException(file + ": model.merges has more than " + MAX_ENTRIES
                            + " entries (the largest published vocabulary has about 900,000): crafted or corrupt?");
                }
                if (t == JsonToken.VALUE_STRING) {
                    checkString(p, file);
                    String line = p.getText();
                    int space = line.indexOf(' ');
                    if (space >= 0) {
                        note(line.substring(space + 1));
                    }
                } else if (t == JsonToken.START_ARRAY) {
                    int i = 0;
                    while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                        if (t == null) {
                            throw new ModelLoadException(file + " ends inside model.merges");
                        }
                        if (t == JsonToken.VALUE_STRING) {
                            checkString(p, file);
                            if (i == 1) {
                                note(p.getText());
                            }
                        } else {
                            skipDecodingStrings(p, file);
                        }
                        i++;
                    }
                } else {
                    skipDecodingStrings(p, file);
                }
            }
        }

        private void note(String second) {
            byte[] b = second.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            minBytes = Math.min(minBytes, b.length);
            for (int i = 0; i < Math.min(b.length, 64); i++) {
                if ((b[i] & 0xC0) == 0x80) {
                    insideCharacter |= 1L << i;
                }
            }
        }

        void checkPrefix(String prefix, Path file) {
            if (prefix == null || prefix.isEmpty() || count == 0) {
                return;
            }
            int n = prefix.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
            if (n > 63 || minBytes < n || (insideCharacter & (1L << n)) != 0) {
                throw new ModelLoadException(file + ": model.continuing_subword_prefix (" + n + " bytes) cannot be "
                        + "cut off every merge's second part (the tokenizers library aborts the process on this)");
            }
        }
    }
}
