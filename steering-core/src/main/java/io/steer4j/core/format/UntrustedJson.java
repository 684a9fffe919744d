package io.steer4j.core.format;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads a small JSON file from an untrusted folder ({@code config.json}, {@code generation_config.json},
 * {@code vocab.json}, a shard index) as a tree, with two guarantees: a failure never quotes the file's content (it
 * names the file, the line and column and what kind of error), and a file larger than {@link #MAX_BYTES} is refused
 * before it is parsed.
 *
 * <pre>{@code
 * JsonNode config = UntrustedJson.read(folder.resolve("config.json"));
 * }</pre>
 */
public final class UntrustedJson {
    /**
     * Largest file read (64 MiB). The largest of these files in published models is a 256k-token {@code vocab.json}
     * of about 6 MB; {@code tokenizer.json} has its own cap and is read by the tokenizer library.
     */
    public static final long MAX_BYTES = 64L << 20;

    /** Field names not interned: a crafted file could otherwise fill the symbol table with millions of names. */
    private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
            .build());

    private UntrustedJson() {
    }

    /**
     * The file's JSON tree ({@code null} for an empty file).
     *
     * @param file the file
     * @return the tree
     * @throws IOException naming the file and, for a parse failure, the position and kind of error only; a parse
     *                     failure carries no cause, since Jackson's message quotes the text it choked on
     */
    public static JsonNode read(Path file) throws IOException {
        long size = Files.size(file);
        if (size > MAX_BYTES) {
            throw new IOException(file + " is " + size + " bytes, more than the " + MAX_BYTES
                    + " a JSON file of a model folder may have (crafted or corrupt?)");
        }
        try (InputStream in = Files.newInputStream(file)) {
            return JSON.readTree(in);
        } catch (JsonProcessingException e) {
            throw new IOException(file + " is " + JsonFailure.describe(e));
        } catch (java.io.CharConversionException e) {
            // Jackson guessed UTF-16/32 from zero bytes and met an invalid character; its message quotes the bytes.
            throw new IOException(file + " is not JSON text in a Unicode encoding");
        }
    }
}
