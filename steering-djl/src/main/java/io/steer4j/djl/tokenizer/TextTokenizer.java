package io.steer4j.djl.tokenizer;

import io.steer4j.core.format.UntrustedJson;
import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import com.fasterxml.jackson.databind.JsonNode;
import io.steer4j.djl.model.ModelLoadException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Text to token ids and back, as the model's own tokenizer defines it, through the Hugging Face tokenizers
 * library, from a model folder's {@code tokenizer.json} or its {@code vocab.json} + {@code merges.txt} pair.
 *
 * <p><b>Special tokens.</b> {@link #encode(String)} adds the special tokens Hugging Face's {@code tokenizer(text)}
 * adds: those of {@code tokenizer.json}'s post-processor ({@code <s>} before the text for SentencePiece Llama
 * models, nothing for GPT-2), with {@code tokenizer_config.json}'s {@code add_bos_token} / {@code add_eos_token}
 * applied when given (as {@code LlamaTokenizerFast} applies them). Load with {@link SpecialTokens#NONE}, or call
 * {@link #encode(String, boolean)} with {@code false}, for text that already carries them.
 *
 * <p><b>Continuations and decoding.</b> {@link #encodeContinuation} splits the encoding of prompt + continuation
 * by character offsets, so a continuation is scored as the tokens the model sees after the prompt (SentencePiece
 * would otherwise give {@code " happy"} alone a spurious {@code ▁} token). {@link #decodeAfter} decodes generated
 * tokens with the prompt as context, so the leading space of the first word survives as the tokenizer's decoder
 * writes it for the whole text.
 *
 * <p>Built with truncation and padding off: the library would otherwise truncate to 512 tokens silently. Context
 * length is checked by the model, with a clear error. Thread-safe.
 *
 * <pre>{@code
 * try (TextTokenizer tok = TextTokenizer.load(modelDir)) {
 *     long[] ids = tok.encode("Hello world");          // [1, ...] for a Llama-2 tokenizer
 *     String text = tok.decode(ids, true);             // "Hello world"
 * }
 * }</pre>
 */
public final class TextTokenizer implements AutoCloseable {
    private static final Map<String, String> OPTIONS =
            Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false");

    private final HuggingFaceTokenizer tokenizer;
    private final SpecialTokens mode;
    /** Special tokens the tokenizer puts before / after a single text (its post-processor, adjusted by the config). */
    private final long[] prefix;
    private final long[] suffix;
    /** Encoding holds the read lock, close the write lock: a concurrent close can never free the native handle mid-call. */
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private boolean closed;

    private TextTokenizer(HuggingFaceTokenizer tokenizer, SpecialTokens mode, Path modelDir) {
        this.tokenizer = tokenizer;
        this.mode = mode;
        // The post-processor's tokens around a probe text: leading and trailing ids it marks as special.
        Encoding probe = tokenizer.encode("a", true, false);
        long[] ids = probe.getIds();
        long[] mask = probe.getSpecialTokenMask();
        int lead = 0;
        while (lead < ids.length && mask[lead] == 1) {
            lead++;
        }
        int trail = ids.length;
        while (trail > lead && mask[trail - 1] == 1) {
            trail--;
        }
        long[] pre = Arrays.copyOfRange(ids, 0, lead);
        long[] post = Arrays.copyOfRange(ids, trail, ids.length);
        JsonNode config = readTokenizerConfig(modelDir);
        if (config != null) {
            pre = applyFlag(config, "add_bos_token", "bos_token", pre, true);
            post = applyFlag(config, "add_eos_token", "eos_token", post, false);
        }
        this.prefix = pre;
        this.suffix = post;
    }

    /** Loads the tokenizer of a model folder, adding special tokens as it defines them. */
    public static TextTokenizer load(Path modelDir) {
        return load(modelDir, SpecialTokens.AS_DEFINED);
    }

    /**
     * Loads the tokenizer of a model folder.
     *
     * @param specialTokens whether {@link #encode(String)} adds the tokenizer's special tokens
     * @throws ModelLoadException when the folder has neither tokenizer.json nor vocab.json + merges.txt, or they
     *                            cannot be read
     */
    public static TextTokenizer load(Path modelDir, SpecialTokens specialTokens) {
        Objects.requireNonNull(specialTokens, "specialTokens");
        Path json = modelDir.resolve("tokenizer.json");
        Path vocab = modelDir.resolve("vocab.json");
        Path merges = modelDir.resolve("merges.txt");
        HuggingFaceTokenizer hf = null;
        try {
            if (Files.isRegularFile(json)) {
                TokenizerFileLimit.checkTokenizerJson(json);
                hf = HuggingFaceTokenizer.newInstance(json, OPTIONS);
            } else if (Files.isRegularFile(vocab) && Files.isRegularFile(merges)) {
                TokenizerFileLimit.check(vocab);
                TokenizerFileLimit.check(merges);
                hf = HuggingFaceTokenizer.newInstance(
                        new java.io.ByteArrayInputStream(ByteLevelBpeJson.build(modelDir, vocab, merges)), OPTIONS);
            }
            if (hf != null) {
                return new TextTokenizer(hf, specialTokens, modelDir);
            }
        } catch (ModelLoadException e) {
            if (hf != null) {
                hf.close();
            }
            throw e;
        } catch (IOException e) {
            if (hf != null) {
                hf.close();
            }
            throw new ModelLoadException("cannot load the tokenizer in " + modelDir + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            if (hf != null) {
                hf.close();
            }
            // The native library's parse errors quote values of the file (invalid type: string "..."): keep its
            // words and position, drop the quoted text and the cause that carries it.
            throw new ModelLoadException("cannot load the tokenizer in " + modelDir + ": "
                    + withoutQuotedText(String.valueOf(e.getMessage())));
        }
        throw new ModelLoadException(modelDir + " has no tokenizer.json and no vocab.json + merges.txt");
    }

    /** {@code message} with every "..." or `...` span replaced by an ellipsis. */
    static String withoutQuotedText(String message) {
        return message.replaceAll("\"[^\"]*\"?", "\"…\"").replaceAll("`[^`]*`?", "`…`");
    }

    /** Whether {@link #encode(String)} adds special tokens (the load-time {@link SpecialTokens} choice). */
    public SpecialTokens specialTokens() {
        return mode;
    }

    /** The special tokens put before a text when they are added ({@code [1]} for Llama 2, empty for GPT-2). */
    public long[] specialPrefix() {
        return prefix.clone();
    }

    /** The special tokens put after a text when they are added (usually none). */
    public long[] specialSuffix() {
        return suffix.clone();
    }

    /**
     * Token ids of {@code text}, with the tokenizer's special tokens unless it was loaded with
     * {@link SpecialTokens#NONE}. Special tokens written in the text ({@code "<s>"}, {@code "<|endoftext|>"}) are
     * recognised either way.
     */
    public long[] encode(String text) {
        return encode(text, mode == SpecialTokens.AS_DEFINED);
    }

    /** Token ids of {@code text}, with the tokenizer's special tokens around it when {@code addSpecialTokens}. */
    public long[] encode(String text, boolean addSpecialTokens) {
        Objects.requireNonNull(text, "text");
        long[] raw = rawEncoding(text).getIds();
        return addSpecialTokens ? concat(prefix, raw, suffix) : raw;
    }

    /**
     * The prompt's and the continuation's tokens as the model sees them in {@code prompt + continuation}: the
     * whole text is encoded once and split at the prompt's last character. A token that straddles the boundary (a
     * continuation that completes the prompt's last word) belongs to the continuation. The special prefix (BOS)
     * starts the prompt as in {@link #encode(String)}; special tokens after the text are left out, since they are
     * not part of the continuation.
     *
     * <p>So {@code " happy"} after {@code "She was"} is the single token {@code ▁happy} under SentencePiece and
     * {@code Ġhappy} under GPT-2's byte-level BPE, whichever way the tokenizer marks word starts.
     */
    public ContinuationTokens encodeContinuation(String prompt, String continuation) {
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(continuation, "continuation");
        String whole = prompt + continuation;
        Encoding e = rawEncoding(whole);
        long[] ids = e.getIds();
        CharSpan[] spans = e.getCharTokenSpans();
        // Spans count Unicode code points, not Java chars.
        int boundary = prompt.codePointCount(0, prompt.length());
        int split = 0;
        while (split < ids.length && (spans[split] == null || spans[split].getEnd() <= boundary)) {
            split++;
        }
        long[] pre = mode == SpecialTokens.AS_DEFINED ? prefix : new long[0];
        return new ContinuationTokens(concat(pre, Arrays.copyOfRange(ids, 0, split), new long[0]),
                Arrays.copyOfRange(ids, split, ids.length));
    }

    /** Text of {@code ids}, special tokens included. */
    public String decode(long[] ids) {
        return decode(ids, false);
    }

    /** Text of {@code ids}, optionally dropping special tokens such as {@code <|endoftext|>} or {@code <s>}. */
    public String decode(long[] ids, boolean skipSpecialTokens) {
        lock.readLock().lock();
        try {
            ensureOpen();
            return tokenizer.decode(ids, skipSpecialTokens);
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * The text {@code ids} add after {@code context}, as the decoder writes the two together:
     * {@code decode(context + ids)} minus {@code decode(context)}, special tokens skipped. A SentencePiece decoder
     * drops the leading space of a text's first word; with the prompt as context the first generated word keeps
     * it ({@code " she"} after {@code "Lily was sad because"}), and byte tokens completing a character the
     * context began decode to that character.
     */
    public String decodeAfter(long[] context, long[] ids) {
        if (context.length == 0) {
            return decode(ids, true);
        }
        String before = decode(context, true);
        String all = decode(concat(context, ids, new long[0]), true);
        if (all.startsWith(before)) {
            return all.substring(before.length());
        }
        // A decoder whose output for the context changes once more tokens follow: keep what differs.
        int common = 0;
        while (common < before.length() && common < all.length() && before.charAt(common) == all.charAt(common)) {
            common++;
        }
        return all.substring(common);
    }

    private Encoding rawEncoding(String text) {
        lock.readLock().lock();
        try {
            ensureOpen();
            return tokenizer.encode(text, false, false);
        } finally {
            lock.readLock().unlock();
        }
    }

    private static long[] concat(long[] a, long[] b, long[] c) {
        long[] out = Arrays.copyOf(a, a.length + b.length + c.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        System.arraycopy(c, 0, out, a.length + b.length, c.length);
        return out;
    }

    private static JsonNode readTokenizerConfig(Path modelDir) {
        Path file = modelDir.resolve("tokenizer_config.json");
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            return UntrustedJson.read(file);
        } catch (IOException e) {
            throw new ModelLoadException(e.getMessage(), e);
        }
    }

    /**
     * Applies an explicit {@code add_bos_token} / {@code add_eos_token} to the post-processor's prefix or suffix,
     * as Hugging Face's Llama-style fast tokenizers rebuild their post-processor from these flags.
     */
    private long[] applyFlag(JsonNode config, String flag, String tokenField, long[] ids, boolean before) {
        JsonNode f = config.get(flag);
        if (f == null || !f.isBoolean()) {
            return ids;
        }
        long id = singleTokenId(config.get(tokenField));
        if (id < 0) {
            return ids;
        }
        boolean present = Arrays.stream(ids).anyMatch(x -> x == id);
        if (f.asBoolean() && !present) {
            return before ? concat(new long[] {id}, ids, new long[0]) : concat(ids, new long[] {id}, new long[0]);
        }
        if (!f.asBoolean() && present) {
            return Arrays.stream(ids).filter(x -> x != id).toArray();
        }
        return ids;
    }

    /** The id of a special token given as a string or {@code {"content": ...}}, or -1 when it is not one token. */
    private long singleTokenId(JsonNode token) {
        if (token != null && token.isObject()) {
            token = token.get("content");
        }
        if (token == null || !token.isTextual()) {
            return -1;
        }
        long[] ids = tokenizer.encode(token.asText(), false, false).getIds();
        return ids.length == 1 ? ids[0] : -1;
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
