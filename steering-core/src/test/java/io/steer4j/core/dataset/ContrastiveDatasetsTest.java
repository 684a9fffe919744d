package io.steer4j.core.dataset;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ContrastiveDatasetsTest {
    @TempDir
    Path dir;

    private Path file(String name, String content) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, content, StandardCharsets.UTF_8);
        return p;
    }

    private DatasetFormatException bad(String name, String content) throws IOException {
        Path p = file(name, content);
        return assertThrows(DatasetFormatException.class, () -> ContrastiveDatasets.load(p));
    }

    private static void assertLocated(DatasetFormatException e, int line, String field) {
        assertEquals(line, e.line(), e.getMessage());
        assertEquals(field, e.field(), e.getMessage());
        assertTrue(e.getMessage().contains(e.file().getFileName().toString()), e.getMessage());
    }

    // ---- JSON pair objects ----

    @Test
    void jsonArrayOfPairObjects() throws IOException {
        ContrastiveDataset ds = ContrastiveDatasets.load(file("happy.json",
                "[{\"positive\": \"yay\", \"negative\": \"nay\"}, {\"positive\": \"good\", \"negative\": \"bad\", \"id\": 7}]"));
        assertEquals(List.of(new ContrastivePair("yay", "nay"), new ContrastivePair("good", "bad")), ds.pairs());
    }

    @Test
    void datasetIsNamedAfterTheFile() throws IOException {
        assertEquals("happy", ContrastiveDatasets.load(file("happy.json", "[{\"positive\":\"a\",\"negative\":\"b\"}]")).name());
    }

    @Test
    void jsonLinesOfPairObjectsSkippingBlankLines() throws IOException {
        ContrastiveDataset ds = ContrastiveDatasets.load(file("d.jsonl",
                "{\"positive\":\"a\",\"negative\":\"b\"}\n\n{\"positive\":\"c\",\"negative\":\"d\"}\n"));
        assertEquals(List.of(new ContrastivePair("a", "b"), new ContrastivePair("c", "d")), ds.pairs());
    }

    @Test
    void missingFieldNamesTheObjectsLineAndTheField() throws IOException {
        DatasetFormatException e = bad("d.json", "[\n {\"positive\":\"a\",\"negative\":\"b\"},\n {\"positive\":\"c\"}\n]");
        assertLocated(e, 3, "negative");
    }

    @Test
    void nonStringFieldNamesTheFieldsLine() throws IOException {
        DatasetFormatException e = bad("d.json", "[\n {\n  \"positive\": \"a\",\n  \"negative\": 5\n }\n]");
        assertLocated(e, 4, "negative");
        assertTrue(e.getMessage().contains("number"), e.getMessage());
    }

    @Test
    void blankFieldInJsonLinesNamesThePhysicalLine() throws IOException {
        DatasetFormatException e = bad("d.jsonl",
                "{\"positive\":\"a\",\"negative\":\"b\"}\n\n{\"positive\":\"  \",\"negative\":\"b\"}\n");
        assertLocated(e, 3, "positive");
    }

    @Test
    void malformedJsonNamesTheLine() throws IOException {
        DatasetFormatException e = bad("d.json", "[\n{\"positive\":\"a\",\n\"negative\" \"b\"}]");
        assertEquals(3, e.line(), e.getMessage());
    }

    @Test
    void malformedJsonLineNamesThePhysicalLine() throws IOException {
        DatasetFormatException e = bad("d.jsonl", "{\"positive\":\"a\",\"negative\":\"b\"}\n{\"positive\":\n");
        assertEquals(2, e.line(), e.getMessage());
    }

    @Test
    void arrayEntriesMustBeObjects() throws IOException {
        assertEquals(2, bad("d.json", "[\n\"just text\"\n]").line());
    }

    @Test
    void entriesMustAllHaveTheFirstEntrysForm() throws IOException {
        DatasetFormatException e = bad("d.json", "[{\"positive\":\"a\",\"negative\":\"b\"},\n"
                + "{\"question\":\"q\",\"answer_matching_behavior\":\"A\",\"answer_not_matching_behavior\":\"B\"}]");
        assertEquals(2, e.line(), e.getMessage());
    }

    // ---- two-list form ----

    @Test
    void twoListFormPairsEntriesByIndexFirstKeyPositive() throws IOException {
        ContrastiveDataset ds = ContrastiveDatasets.load(file("d.json",
                "{\"helpful\": [\"h1\", \"h2\"], \"unhelpful\": [\"u1\", \"u2\"]}"));
        assertEquals(List.of(new ContrastivePair("h1", "u1"), new ContrastivePair("h2", "u2")), ds.pairs());
    }

    @Test
    void twoListFormTakesTheNamedPositiveKey() throws IOException {
        ContrastiveDataset ds = ContrastiveDatasets.load(file("d.json",
                "{\"helpful\": [\"h1\"], \"unhelpful\": [\"u1\"]}"), "unhelpful");
        assertEquals(List.of(new ContrastivePair("u1", "h1")), ds.pairs());
    }

    @Test
    void twoListFormPrefersAKeyNamedPositive() throws IOException {
        ContrastiveDataset ds = ContrastiveDatasets.load(file("d.json",
                "{\"negative\": [\"n\"], \"positive\": [\"p\"]}"));
        assertEquals(List.of(new ContrastivePair("p", "n")), ds.pairs());
    }

    @Test
    void twoListFormUnknownPositiveKeyIsNamed() throws IOException {
        Path p = file("d.json", "{\"a\": [\"1\"], \"b\": [\"2\"]}");
        DatasetFormatException e = assertThrows(DatasetFormatException.class, () -> ContrastiveDatasets.load(p, "c"));
        assertEquals("c", e.field());
    }

    @Test
    void twoListFormListsMustHaveEqualLength() throws IOException {
        DatasetFormatException e = bad("d.json", "{\"a\": [\"1\", \"2\"], \"b\": [\"3\"]}");
        assertLocated(e, 1, "b");
        assertTrue(e.getMessage().contains("1 entries") && e.getMessage().contains("has 2"), e.getMessage());
    }

    @Test
    void twoListFormNeedsExactlyTwoKeys() throws IOException {
        assertTrue(bad("d.json", "{\"a\": [\"1\"], \"b\": [\"2\"], \"c\": [\"3\"]}").getMessage().contains("exactly two"));
    }

    @Test
    void twoListFormEntryMustBeAStringNamedByIndexAndLine() throws IOException {
        DatasetFormatException e = bad("d.json", "{\"a\": [\"1\",\n 2],\n \"b\": [\"3\", \"4\"]}");
        assertLocated(e, 2, "a[1]");
    }

    @Test
    void positiveKeyIsRejectedForOtherForms() throws IOException {
        Path p = file("d.jsonl", "{\"positive\":\"a\",\"negative\":\"b\"}");
        assertThrows(DatasetFormatException.class, () -> ContrastiveDatasets.load(p, "positive"));
    }

    // ---- multiple choice ----

    private static final String MC_JSON = "[{\"question\": \"Is it?\\n (A) Yes\\n (B) No\", "
            + "\"answer_matching_behavior\": \" (A)\", \"answer_not_matching_behavior\": \" (B)\"}]";

    @Test
    void multipleChoiceItemsBecomeQuestionPlusAnswerPairs() throws IOException {
        ContrastiveDataset ds = ContrastiveDatasets.load(file("mc.json", MC_JSON));
        assertEquals(List.of(new ContrastivePair("Is it?\n (A) Yes\n (B) No\n (A)", "Is it?\n (A) Yes\n (B) No\n (B)")),
                ds.pairs());
    }

    @Test
    void loadMultipleChoiceKeepsAnswersApart() throws IOException {
        MultipleChoiceDataset mc = ContrastiveDatasets.loadMultipleChoice(file("mc.json", MC_JSON));
        assertEquals(List.of(new MultipleChoiceItem("Is it?\n (A) Yes\n (B) No", " (A)", " (B)")), mc.items());
    }

    @Test
    void aListOfNonMatchingAnswersGivesOneItemEach() throws IOException {
        MultipleChoiceDataset mc = ContrastiveDatasets.loadMultipleChoice(file("mc.jsonl",
                "{\"question\":\"Q\",\"answer_matching_behavior\":\"A\",\"answer_not_matching_behavior\":[\"B\",\"C\"]}\n"));
        assertEquals(List.of(new MultipleChoiceItem("Q", "A", "B"), new MultipleChoiceItem("Q", "A", "C")),
                mc.items());
    }

    @Test
    void multipleChoiceMissingAnswerIsNamed() throws IOException {
        Path p = file("mc.jsonl", "{\"question\":\"Q\",\"answer_matching_behavior\":\"A\"}\n");
        DatasetFormatException e = assertThrows(DatasetFormatException.class,
                () -> ContrastiveDatasets.loadMultipleChoice(p));
        assertLocated(e, 1, "answer_not_matching_behavior");
    }

    @Test
    void multipleChoiceToPairJoinsWithANewline() {
        assertEquals(new ContrastivePair("Q\nA", "Q\nB"), new MultipleChoiceItem("Q", "A", "B").toPair());
    }

    // ---- CSV ----

    @Test
    void csvWithRfc4180Quoting() throws IOException {
        ContrastiveDataset ds = ContrastiveDatasets.load(file("d.csv",
                "positive,negative\r\n\"Yes, gladly\",\"He said \"\"no\"\"\"\r\n\"two\nlines\",plain\r\n"));
        assertEquals(List.of(new ContrastivePair("Yes, gladly", "He said \"no\""),
                new ContrastivePair("two\nlines", "plain")), ds.pairs());
    }

    @Test
    void csvHeaderMayReorderAndAddColumns() throws IOException {
        ContrastiveDataset ds = ContrastiveDatasets.load(file("d.csv", "id,Negative,POSITIVE\n1,sad,happy\n"));
        assertEquals(List.of(new ContrastivePair("happy", "sad")), ds.pairs());
    }

    @Test
    void csvMissingHeaderColumnIsNamed() throws IOException {
        assertLocated(bad("d.csv", "positive,other\na,b\n"), 1, "negative");
    }

    @Test
    void csvBlankFieldLineCountsEmbeddedNewlines() throws IOException {
        // The record on lines 2-3 spans a quoted line break, so the bad record starts on line 4.
        assertLocated(bad("d.csv", "positive,negative\n\"a\nb\",c\nd,\"  \"\n"), 4, "negative");
    }

    @Test
    void csvShortRowIsNamed() throws IOException {
        assertLocated(bad("d.csv", "positive,negative\na,b\nonly\n"), 3, "negative");
    }

    @Test
    void csvUnterminatedQuoteIsNamed() throws IOException {
        DatasetFormatException e = bad("d.csv", "positive,negative\na,\"b\n");
        assertEquals(2, e.line(), e.getMessage());
        assertTrue(e.getMessage().contains("unterminated"), e.getMessage());
    }

    @Test
    void csvTextAfterAClosingQuoteIsRejected() throws IOException {
        assertEquals(2, bad("d.csv", "positive,negative\n\"a\"x,b\n").line());
    }

    // ---- empty and unsupported ----

    @Test
    void emptyJsonArrayIsAnEmptyDataset() throws IOException {
        DatasetFormatException e = bad("d.json", "[]");
        assertTrue(e.getMessage().contains("empty"), e.getMessage());
        assertNull(e.field());
    }

    @Test
    void emptyFileIsAnEmptyDataset() throws IOException {
        assertTrue(bad("d.jsonl", "\n\n").getMessage().contains("empty"));
        assertTrue(bad("d.json", "").getMessage().contains("empty"));
    }

    @Test
    void csvWithOnlyAHeaderIsAnEmptyDataset() throws IOException {
        assertTrue(bad("d.csv", "positive,negative\n").getMessage().contains("empty"));
    }

    @Test
    void unsupportedExtensionIsRejected() throws IOException {
        assertTrue(bad("d.txt", "positive,negative\na,b\n").getMessage().contains(".json, .jsonl or .csv"));
    }

    // ---- texts longer than a model can take ----

    @Test
    void aTextLongerThanTheLimitIsRefusedNamingItsLineAndField() throws IOException {
        Path p = file("d.jsonl", "{\"positive\":\"a\",\"negative\":\"b\"}\n{\"positive\":\"" + "x".repeat(50)
                + "\",\"negative\":\"d\"}\n");
        DatasetFormatException e = assertThrows(DatasetFormatException.class,
                () -> ContrastiveDatasets.load(p, null, 40));
        assertLocated(e, 2, "positive");
        assertTrue(e.getMessage().contains("50 characters long, more than the 40 accepted"), e.getMessage());
    }

    @Test
    void aTwoListTextLongerThanTheLimitIsNamedByItsPairIndex() throws IOException {
        Path p = file("d.csv", "positive,negative\nshort,also short\nfine," + "y".repeat(41) + "\n");
        DatasetFormatException e = assertThrows(DatasetFormatException.class,
                () -> ContrastiveDatasets.load(p, null, 40));
        assertLocated(e, 3, "negative");
        Path lists = file("l.json", "{\"positive\": [\"a\", \"" + "z".repeat(41) + "\"],\n \"negative\": [\"c\", \"d\"]}");
        DatasetFormatException e2 = assertThrows(DatasetFormatException.class,
                () -> ContrastiveDatasets.load(lists, null, 40));
        assertEquals("positive[1]", e2.field(), e2.getMessage());
    }

    @Test
    void textsWithinTheLimitLoadAsWithoutOne() throws IOException {
        Path p = file("d.jsonl", "{\"positive\":\"" + "x".repeat(40) + "\",\"negative\":\"b\"}\n");
        assertEquals(ContrastiveDatasets.load(p), ContrastiveDatasets.load(p, null, 40));
    }
}
