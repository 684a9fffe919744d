package io.steer4j.djl.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.steer4j.djl.model.ModelLoadException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Text to token ids and back, through the Hugging Face tokenizers library, from a model folder's
 * {@code tokenizer.json} or its {@code vocab.json} + {@code merges.txt} pair.
 *
 * <p>Built with truncation, padding and automatic special tokens off: the library would otherwise truncate to
 * 512 tokens silently. Context length is checked by the model, with a clear error.
 *
 * <pre>{@code
 * try (TextTokenizer tok = TextTokenizer.load(modelDir)) {
 *     long[] ids = tok.encode("Hello world");
 *     String text = tok.decode(ids);
 * }
 * }</pre>
 */
public final class TextTokenizer implements AutoCloseable {
    private static final Map<String, String> OPTIONS =
            Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false");

    private final HuggingFaceTokenizer tokenizer;
    /** Encoding holds the read lock, close the write lock: a concurrent close can never free the native handle mid-call. */
    private final java.util.concurrent.locks.ReentrantReadWriteLock lock = new java.util.concurrent.locks.ReentrantReadWriteLock();
    private boolean closed;

    private TextTokenizer(HuggingFaceTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /**
     * Loads the tokenizer of a model folder.
     *
     * @throws ModelLoadException when the folder has neither tokenizer.json nor vocab.json + merges.txt
     */
    public static TextTokenizer load(Path modelDir) {
        Path json = modelDir.resolve("tokenizer.json");
        Path vocab = modelDir.resolve("vocab.json");
        Path merges = modelDir.resolve("merges.txt");
        try {
            if (Files.isRegularFile(json)) {
                TokenizerFileLimit.check(json);
                return new TextTokenizer(HuggingFaceTokenizer.newInstance(json, OPTIONS));
            }
            if (Files.isRegularFile(vocab) && Files.isRegularFile(merges)) {
                TokenizerFileLimit.check(vocab);
                TokenizerFileLimit.check(merges);
                return new TextTokenizer(HuggingFaceTokenizer.newInstance(vocab, merges, OPTIONS));
            }
        } catch (IOException | RuntimeException e) {
            throw new ModelLoadException("cannot load the tokenizer in " + modelDir + ": " + e.getMessage(), e);
        }
        throw new ModelLoadException(modelDir + " has no tokenizer.json and no vocab.json + merges.txt");
    }

    /** Token ids of {@code text}, without special tokens. */
    public long[] encode(String text) {
        lock.readLock().lock();
        try {
            ensureOpen();
            return tokenizer.encode(text, false, false).getIds();
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Text of {@code ids}, special tokens included. */
    public String decode(long[] ids) {
        return decode(ids, false);
    }

    /** Text of {@code ids}, optionally dropping special tokens such as {@code <|endoftext|>}. */
    public String decode(long[] ids, boolean skipSpecialTokens) {
        lock.readLock().lock();
        try {
            ensureOpen();
            return tokenizer.decode(ids, skipSpecialTokens);
        } finally {
            lock.readLock().unlock();
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the tokenizer is closed (its model was closed)");
        }
    }

    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            if (!closed) {
                closed = true;
                tokenizer.close();
            }
        } finally {
            lock.writeLock().unlock();
        }
    }
}
