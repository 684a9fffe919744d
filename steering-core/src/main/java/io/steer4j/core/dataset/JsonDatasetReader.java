package io.steer4j.core.dataset;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads JSON and JSON Lines dataset files into objects that remember the line of every field, so that a bad value
 * can be reported where it is. Knows nothing about pairs; {@link ContrastiveDatasets} interprets the fields.
 */
final class JsonDatasetReader {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** A field's value and the 1-based line its name is on. */
    record Field(JsonNode value, int line) {
    }

    /** A JSON object and the 1-based line it starts on. */
    record JsonRecord(int line, Map<String, Field> fields) {
    }

    /** What a whole file holds. */
    sealed interface Document permits Records, NamedLists {
    }

    /** An array of objects (JSON) or one object per line (JSONL). */
    record Records(List<JsonRecord> records) implements Document {
    }

    /** One object whose fields are lists of strings; each entry keeps its line. */
    record NamedLists(int line, Map<String, List<Field>> lists) implements Document {
    }

    private JsonDatasetReader() {
    }

    static Document readJson(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file); JsonParser p = MAPPER.createParser(in)) {
            try {
                return readDocument(p, file);
            } catch (JsonProcessingException e) {
                // Also Jackson's StreamConstraintsException (nesting, number or string length limits), which
                // carries no location of its own: the parser's position names the line.
                throw malformed(file, e, p);
            }
        }
    }

    private static Document readDocument(JsonParser p, Path file) throws IOException {
        JsonToken t = p.nextToken();
        Document doc;
        if (t == null) {
            throw new DatasetFormatException(file, 0, null, "file is empty (no contrastive pairs)");
        } else if (t == JsonToken.START_ARRAY) {
            List<JsonRecord> records = new ArrayList<>();
            while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                if (t != JsonToken.START_OBJECT) {
                    throw new DatasetFormatException(file, line(p), null,
                            "array entries must be objects, found " + describe(t));
                }
                records.add(readObject(p, 0, file));
            }
            doc = new Records(records);
        } else if (t == JsonToken.START_OBJECT) {
            doc = readNamedLists(p, file);
        } else {
            throw new DatasetFormatException(file, line(p), null,
                    "expected an array of objects or an object of two lists, found " + describe(t));
        }
        if (p.nextToken() != null) {
            throw new DatasetFormatException(file, line(p), null, "unexpected content after the JSON value");
        }
        return doc;
    }

    static Records readJsonLines(Path file) throws IOException {
        List<JsonRecord> records = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new java.io.StringReader(Utf8Text.read(file)))) {
            String text;
            int lineNo = 0;
            while ((text = r.readLine()) != null) {
                lineNo++;
                if (lineNo == 1 && text.startsWith("\uFEFF")) {
                    text = text.substring(1);
                }
                if (text.isBlank()) {
                    continue;
                }
                try (JsonParser p = MAPPER.createParser(text)) {
                    JsonToken t = p.nextToken();
                    if (t != JsonToken.START_OBJECT) {
                        throw new DatasetFormatException(file, lineNo, null,
                                "each line must hold one JSON object, found " + describe(t));
                    }
                    records.add(readObject(p, lineNo - 1, file));
                    if (p.nextToken() != null) {
                        throw new DatasetFormatException(file, lineNo, null,
                                "unexpected content after the object (one object per line)");
                    }
                } catch (JsonProcessingException e) {
                    throw new DatasetFormatException(file, lineNo, null, "malformed JSON: " + e.getOriginalMessage(), e);
                }
            }
        }
        return new Records(records);
    }

    /** Reads the object whose START_OBJECT is the current token; {@code lineOffset} is added to parser lines. */
    private static JsonRecord readObject(JsonParser p, int lineOffset, Path file) throws IOException {
        int start = line(p) + lineOffset;
        Map<String, Field> fields = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            int fieldLine = line(p) + lineOffset;
            p.nextToken();
            fields.put(name, new Field(p.readValueAsTree(), fieldLine));
        }
        return new JsonRecord(start, fields);
    }

    private static NamedLists readNamedLists(JsonParser p, Path file) throws IOException {
        int start = line(p);
        Map<String, List<Field>> lists = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken t = p.nextToken();
            if (t != JsonToken.START_ARRAY) {
                throw new DatasetFormatException(file, line(p), name,
                        "expected a list of strings (two-list form), found " + describe(t));
            }
            List<Field> entries = new ArrayList<>();
            while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                int entryLine = line(p);
                JsonNode node = p.readValueAsTree();
                if (!node.isTextual()) {
                    throw new DatasetFormatException(file, entryLine, name + "[" + entries.size() + "]",
                            "expected a string, found " + node.getNodeType().name().toLowerCase());
                }
                entries.add(new Field(node, entryLine));
            }
            lists.put(name, entries);
        }
        return new NamedLists(start, lists);
    }

    private static int line(JsonParser p) {
        return p.currentTokenLocation().getLineNr();
    }

    private static String describe(JsonToken t) {
        if (t == null) {
            return "end of input";
        }
        return switch (t) {
            case START_ARRAY -> "an array";
            case START_OBJECT -> "an object";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            default -> t.asString() != null ? "'" + t.asString() + "'" : t.name();
        };
    }

    private static DatasetFormatException malformed(Path file, JsonProcessingException e, JsonParser p) {
        int line = e.getLocation() != null && e.getLocation().getLineNr() > 0 ? e.getLocation().getLineNr()
                : p.currentLocation().getLineNr();
        return new DatasetFormatException(file, line, null, "malformed JSON: " + e.getOriginalMessage(), e);
    }
}
