package io.steer4j.core.dataset;

import com.fasterxml.jackson.databind.JsonNode;
import io.steer4j.core.dataset.CsvDatasetReader.CsvRecord;
import io.steer4j.core.dataset.JsonDatasetReader.Document;
import io.steer4j.core.dataset.JsonDatasetReader.Field;
import io.steer4j.core.dataset.JsonDatasetReader.JsonRecord;
import io.steer4j.core.dataset.JsonDatasetReader.NamedLists;
import io.steer4j.core.dataset.JsonDatasetReader.Records;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Loads contrastive datasets from files, choosing the parser by extension.
 *
 * <p>Recognised contents:
 * <ul>
 *   <li>{@code .json}: an array of pair objects {@code [{"positive": "...", "negative": "..."}, ...]};
 *       an array of multiple-choice items {@code [{"question": ..., "answer_matching_behavior": ...,
 *       "answer_not_matching_behavior": ...}, ...]} (Anthropic / CAA style); or the two-list form
 *       {@code {"helpful": [...], "unhelpful": [...]}}: exactly two keys holding string lists of equal length,
 *       pair {@code i} taking entry {@code i} of each. Extra keys in pair and item objects are ignored.</li>
 *   <li>{@code .jsonl}: one pair object or multiple-choice item per line; blank lines are skipped.</li>
 *   <li>{@code .csv}: RFC 4180 with a header row naming columns {@code positive} and {@code negative}
 *       (case-insensitive, any order, other columns ignored).</li>
 * </ul>
 * Multiple-choice items become pairs via {@link MultipleChoiceItem#toPair()}. When an item's
 * {@code answer_not_matching_behavior} is a list of strings (as in some Anthropic datasets), it yields one item per
 * entry. The dataset is named after the file without its extension.
 *
 * <pre>{@code
 * ContrastiveDataset happy = ContrastiveDatasets.load(Path.of("happy.jsonl"));
 * ContrastiveDataset helpful = ContrastiveDatasets.load(Path.of("help.json"), "helpful");
 * MultipleChoiceDataset syco = ContrastiveDatasets.loadMultipleChoice(Path.of("sycophancy.json"));
 * }</pre>
 *
 * <p>Every problem is a {@link DatasetFormatException} naming the file, the 1-based line, and the field.
 */
public final class ContrastiveDatasets {
    private static final String POSITIVE = "positive";
    private static final String NEGATIVE = "negative";
    private static final String QUESTION = "question";
    private static final String MATCHING = "answer_matching_behavior";
    private static final String NOT_MATCHING = "answer_not_matching_behavior";

    private ContrastiveDatasets() {
    }

    /**
     * Loads pairs from a {@code .json}, {@code .jsonl} or {@code .csv} file. In the two-list form a key named
     * {@code positive} is the positive side; otherwise the first key in the file is.
     *
     * @throws DatasetFormatException if the file is malformed, has an unsupported extension, or holds no pairs
     * @throws IOException            if it cannot be read
     */
    public static ContrastiveDataset load(Path file) throws IOException {
        return load(file, null);
    }

    /**
     * Loads pairs like {@link #load(Path)}, taking the two-list form's list under {@code positiveKey} as the
     * positive side.
     *
     * @param positiveKey the positive list's key, or {@code null} for the default rule
     * @throws DatasetFormatException if the file is not in the two-list form (when {@code positiveKey} is given),
     *                                lacks that key, or is otherwise invalid
     */
    public static ContrastiveDataset load(Path file, String positiveKey) throws IOException {
        return load(file, positiveKey, Integer.MAX_VALUE);
    }

    /**
     * Loads pairs like {@link #load(Path, String)}, refusing any text longer than {@code maxTextChars} characters
     * as it is read, so an example far beyond a model's context is reported (file, line, field) before anything
     * tokenizes it.
     *
     * @param file         the dataset file
     * @param positiveKey  the two-list form's positive key, or {@code null} for the default rule
     * @param maxTextChars the longest text accepted, in characters
     * @return the dataset, named after the file
     * @throws DatasetFormatException naming the file, line and field of a text that is too long, or as
     *                                {@link #load(Path, String)}
     * @throws IOException            if the file cannot be read
     */
    public static ContrastiveDataset load(Path file, String positiveKey, int maxTextChars) throws IOException {
        Objects.requireNonNull(file, "file");
        if (maxTextChars <= 0) {
            throw new IllegalArgumentException("maxTextChars must be positive, got " + maxTextChars);
        }
        int maxChars = maxTextChars;
        String ext = extension(file);
        List<ContrastivePair> pairs;
        switch (ext) {
            case "json" -> {
                Document doc = JsonDatasetReader.readJson(file);
                if (doc instanceof NamedLists lists) {
                    pairs = fromNamedLists(file, maxChars, lists, positiveKey);
                } else {
                    requireNoPositiveKey(file, positiveKey);
                    pairs = fromRecords(file, maxChars, ((Records) doc).records());
                }
            }
            case "jsonl" -> {
                requireNoPositiveKey(file, positiveKey);
                pairs = fromRecords(file, maxChars, JsonDatasetReader.readJsonLines(file).records());
            }
            case "csv" -> {
                requireNoPositiveKey(file, positiveKey);
                pairs = fromCsv(file, maxChars, CsvDatasetReader.read(file));
            }
            default -> throw unsupported(file, ".json, .jsonl or .csv");
        }
        if (pairs.isEmpty()) {
            throw new DatasetFormatException(file, 0, null, "no contrastive pairs found (empty dataset)");
        }
        return new ContrastiveDataset(datasetName(file), pairs);
    }

    /**
     * Loads multiple-choice items from a {@code .json} array or {@code .jsonl} file, keeping questions and answers
     * apart for evaluation.
     *
     * @throws DatasetFormatException if an entry is not a complete item, or there are none
     */
    public static MultipleChoiceDataset loadMultipleChoice(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        List<JsonRecord> records = switch (extension(file)) {
            case "json" -> {
                Document doc = JsonDatasetReader.readJson(file);
                if (!(doc instanceof Records r)) {
                    throw new DatasetFormatException(file, ((NamedLists) doc).line(), null,
                            "expected an array of multiple-choice items, found an object of lists");
                }
                yield r.records();
            }
            case "jsonl" -> JsonDatasetReader.readJsonLines(file).records();
            default -> throw unsupported(file, ".json or .jsonl");
        };
        List<MultipleChoiceItem> items = new ArrayList<>();
        for (JsonRecord r : records) {
            items.addAll(toItems(file, Integer.MAX_VALUE, r));
        }
        if (items.isEmpty()) {
            throw new DatasetFormatException(file, 0, null, "no multiple-choice items found (empty dataset)");
        }
        return new MultipleChoiceDataset(datasetName(file), items);
    }

    private static List<ContrastivePair> fromRecords(Path file, int maxChars, List<JsonRecord> records) throws IOException {
        List<ContrastivePair> pairs = new ArrayList<>();
        boolean multipleChoice = false;
        for (int k = 0; k < records.size(); k++) {
            JsonRecord r = records.get(k);
            boolean isItem = isMultipleChoice(r);
            if (k == 0) {
                multipleChoice = isItem;
            } else if (isItem != multipleChoice) {
                throw new DatasetFormatException(file, r.line(), null, "expected a "
                        + (multipleChoice ? "multiple-choice item" : "pair object") + " like the first entry");
            }
            if (isItem) {
                for (MultipleChoiceItem item : toItems(file, maxChars, r)) {
                    pairs.add(item.toPair());
                }
            } else {
                pairs.add(new ContrastivePair(text(file, maxChars, r, POSITIVE), text(file, maxChars, r, NEGATIVE)));
            }
        }
        return pairs;
    }

    private static boolean isMultipleChoice(JsonRecord r) {
        Map<String, Field> f = r.fields();
        return !f.containsKey(POSITIVE) && !f.containsKey(NEGATIVE)
                && (f.containsKey(QUESTION) || f.containsKey(MATCHING) || f.containsKey(NOT_MATCHING));
    }

    private static List<MultipleChoiceItem> toItems(Path file, int maxChars, JsonRecord r) throws IOException {
        String question = text(file, maxChars, r, QUESTION);
        String matching = text(file, maxChars, r, MATCHING);
        Field notMatching = r.fields().get(NOT_MATCHING);
        List<MultipleChoiceItem> items = new ArrayList<>();
        if (notMatching != null && notMatching.value().isArray()) {
            JsonNode list = notMatching.value();
            if (list.isEmpty()) {
                throw new DatasetFormatException(file, notMatching.line(), NOT_MATCHING, "list is empty");
            }
            for (int i = 0; i < list.size(); i++) {
                String answer = textValue(file, maxChars, list.get(i), notMatching.line(), NOT_MATCHING + "[" + i + "]");
                items.add(new MultipleChoiceItem(question, matching, answer));
            }
        } else {
            items.add(new MultipleChoiceItem(question, matching, text(file, maxChars, r, NOT_MATCHING)));
        }
        return items;
    }

    private static List<ContrastivePair> fromNamedLists(Path file, int maxChars, NamedLists doc, String positiveKey)
            throws IOException {
        Map<String, List<Field>> lists = doc.lists();
        if (lists.size() != 2) {
            throw new DatasetFormatException(file, doc.line(), null, "the two-list form needs exactly two keys"
                    + " holding string lists, found " + lists.size() + " " + lists.keySet());
        }
        Iterator<String> keys = lists.keySet().iterator();
        String first = keys.next();
        String second = keys.next();
        String pos;
        if (positiveKey != null) {
            if (!lists.containsKey(positiveKey)) {
                throw new DatasetFormatException(file, doc.line(), positiveKey,
                        "positive key not found; keys are " + lists.keySet());
            }
            pos = positiveKey;
        } else {
            pos = second.equals(POSITIVE) ? second : first;
        }
        String neg = pos.equals(first) ? second : first;
        List<Field> p = lists.get(pos);
        List<Field> q = lists.get(neg);
        if (p.size() != q.size()) {
            throw new DatasetFormatException(file, doc.line(), neg, "has " + q.size() + " entries but '" + pos
                    + "' has " + p.size() + "; the two lists must have equal length");
        }
        List<ContrastivePair> pairs = new ArrayList<>();
        for (int i = 0; i < p.size(); i++) {
            String a = textValue(file, maxChars, p.get(i).value(), p.get(i).line(), pos + "[" + i + "]");
            String b = textValue(file, maxChars, q.get(i).value(), q.get(i).line(), neg + "[" + i + "]");
            pairs.add(new ContrastivePair(a, b));
        }
        return pairs;
    }

    private static List<ContrastivePair> fromCsv(Path file, int maxChars, List<CsvRecord> records) throws IOException {
        if (records.isEmpty()) {
            throw new DatasetFormatException(file, 0, null, "file is empty: expected a header row 'positive,negative'");
        }
        CsvRecord header = records.get(0);
        int posCol = column(header, POSITIVE);
        int negCol = column(header, NEGATIVE);
        if (posCol < 0 || negCol < 0) {
            throw new DatasetFormatException(file, header.line(), posCol < 0 ? POSITIVE : NEGATIVE,
                    "header column missing; the header row must name columns 'positive' and 'negative', found "
                            + header.fields());
        }
        List<ContrastivePair> pairs = new ArrayList<>();
        for (int k = 1; k < records.size(); k++) {
            CsvRecord r = records.get(k);
            String a = csvField(file, maxChars, r, posCol, POSITIVE);
            String b = csvField(file, maxChars, r, negCol, NEGATIVE);
            pairs.add(new ContrastivePair(a, b));
        }
        return pairs;
    }

    private static int column(CsvRecord header, String name) {
        for (int c = 0; c < header.fields().size(); c++) {
            if (header.fields().get(c).trim().equalsIgnoreCase(name)) {
                return c;
            }
        }
        return -1;
    }

    private static String csvField(Path file, int maxChars, CsvRecord r, int column, String name)
            throws DatasetFormatException {
        if (column >= r.fields().size()) {
            throw new DatasetFormatException(file, r.line(), name, "missing: the row has " + r.fields().size()
                    + " field(s)");
        }
        String v = r.fields().get(column);
        if (v.isBlank()) {
            throw new DatasetFormatException(file, r.line(), name, "must not be blank");
        }
        return requireAtMost(file, r.line(), name, v, maxChars);
    }

    private static String text(Path file, int maxChars, JsonRecord r, String key) throws DatasetFormatException {
        Field f = r.fields().get(key);
        if (f == null) {
            throw new DatasetFormatException(file, r.line(), key, "missing (entry has fields " + r.fields().keySet()
                    + ")");
        }
        return textValue(file, maxChars, f.value(), f.line(), key);
    }

    private static String textValue(Path file, int maxChars, JsonNode node, int line, String field)
            throws DatasetFormatException {
        if (!node.isTextual()) {
            throw new DatasetFormatException(file, line, field, "expected a string, found "
                    + node.getNodeType().name().toLowerCase(Locale.ROOT));
        }
        String v = node.textValue();
        if (v.isBlank()) {
            throw new DatasetFormatException(file, line, field, "must not be blank");
        }
        return requireAtMost(file, line, field, v, maxChars);
    }

    private static String requireAtMost(Path file, int line, String field, String v, int maxChars)
            throws DatasetFormatException {
        if (v.length() > maxChars) {
            throw new DatasetFormatException(file, line, field, "text is " + v.length() + " characters long, more"
                    + " than the " + maxChars + " accepted (it cannot fit in the model's context)");
        }
        return v;
    }

    private static void requireNoPositiveKey(Path file, String positiveKey) throws DatasetFormatException {
        if (positiveKey != null) {
            throw new DatasetFormatException(file, 0, positiveKey, "a positive key applies only to the two-list"
                    + " JSON form ({\"key1\": [...], \"key2\": [...]}), which this file is not");
        }
    }

    private static String extension(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
    }

    private static String datasetName(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot <= 0 ? name : name.substring(0, dot);
    }

    private static DatasetFormatException unsupported(Path file, String expected) {
        return new DatasetFormatException(file, 0, null, "unsupported file extension; expected " + expected);
    }
}
