package io.steer4j.djl.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One behaviour probe for a sweep: a prompt and two continuations, one showing the behaviour to steer towards and
 * one showing its opposite. Its score is {@code logP(positive | prompt) - logP(negative | prompt)}; steering towards
 * the behaviour should raise it.
 *
 * <p>A continuation is scored as the tokens the model sees after the prompt in {@code prompt + continuation}
 * (split by character offsets, whatever the tokenizer), so write the text as it reads: a continuation that starts
 * a new word starts with a space, as in {@code {"prompt": "The weather today is", "positive": " wonderful",
 * "negative": " awful"}}.
 *
 * @param prompt   the shared context; non-blank
 * @param positive the continuation showing the behaviour; non-empty
 * @param negative the continuation showing the opposite; non-empty
 */
public record ContinuationItem(String prompt, String positive, String negative) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** @throws IllegalArgumentException if the prompt is blank or a continuation is empty (naming the field) */
    public ContinuationItem {
        if (prompt == null || prompt.isBlank()) {
            throw new IllegalArgumentException("prompt must not be null or blank");
        }
        if (positive == null || positive.isEmpty()) {
            throw new IllegalArgumentException("positive continuation must not be null or empty");
        }
        if (negative == null || negative.isEmpty()) {
            throw new IllegalArgumentException("negative continuation must not be null or empty");
        }
    }

    /**
     * Reads a JSON array of {@code {"prompt": ..., "positive": ..., "negative": ...}} objects (the layout of
     * {@code sentiment-eval.json}).
     *
     * @throws IOException              if the file cannot be read or is not JSON
     * @throws IllegalArgumentException if it is not an array of such objects, naming the file, the item index and
     *                                  the missing key; or if the array is empty
     */
    public static List<ContinuationItem> readJson(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        JsonNode root = JSON.readTree(Files.readAllBytes(file));
        if (root == null || !root.isArray()) {
            throw new IllegalArgumentException(file + ": expected a JSON array of {prompt, positive, negative}"
                    + " objects");
        }
        List<ContinuationItem> items = new ArrayList<>();
        for (int i = 0; i < root.size(); i++) {
            JsonNode n = root.get(i);
            try {
                items.add(new ContinuationItem(text(n, "prompt"), text(n, "positive"), text(n, "negative")));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(file + ": item " + i + ": " + e.getMessage(), e);
            }
        }
        if (items.isEmpty()) {
            throw new IllegalArgumentException(file + ": the evaluation set is empty");
        }
        return List.copyOf(items);
    }

    private static String text(JsonNode n, String key) {
        JsonNode v = n == null ? null : n.get(key);
        if (v == null || !v.isTextual()) {
            throw new IllegalArgumentException("missing string field \"" + key + "\"");
        }
        return v.asText();
    }
}
