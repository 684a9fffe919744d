package io.steer4j.djl.steering;

import ai.djl.ndarray.NDManager;
import io.steer4j.core.plan.HookPoint;
import io.steer4j.djl.hooks.HookSet;
import io.steer4j.djl.model.ForwardInput;
import io.steer4j.djl.model.EncoderModel;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.model.LogitsMode;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Runs texts through a model in batches and reads one activation vector per text at each requested layer.
 *
 * <p>One forward pass serves every layer; the pass stops after the highest requested layer (no final norm or LM
 * head). Rows are left-padded, and the read position is resolved per row against its own tokens, so padding is
 * never read.
 */
public final class ActivationCapture {
    private final LanguageModel model;
    /** Set instead of {@link #model} for a BERT encoder. */
    private final EncoderActivationCapture encoder;
    private final HookPoint point;
    private final ReadPosition read;
    private final int batchSize;
    private final boolean progress;

    /**
     * @param batchSize texts per forward pass
     * @param progress  show a terminal progress bar
     */
    public ActivationCapture(LanguageModel model, HookPoint point, ReadPosition read, int batchSize, boolean progress) {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        }
        this.model = model;
        this.encoder = null;
        this.point = point;
        this.read = read;
        this.batchSize = batchSize;
        this.progress = progress;
    }

    /**
     * A capture over a BERT encoder: right-padded batches, texts with {@code [CLS]} and {@code [SEP]}; the read
     * position as {@link SteeringVectorComputer#builder(EncoderModel)} describes it.
     *
     * @param batchSize texts per forward pass
     */
    public ActivationCapture(EncoderModel encoder, HookPoint point, ReadPosition read, int batchSize) {
        this.model = null;
        this.encoder = new EncoderActivationCapture(encoder, point, read, batchSize);
        this.point = point;
        this.read = read;
        this.batchSize = batchSize;
        this.progress = false;
    }

    /**
     * Reads activations.
     *
     * @return per layer, one row per text (in input order), each of the hidden size
     * @throws IllegalArgumentException when a layer is out of range, the text list is empty, or a text encodes to
     *                                  no tokens or to more than the model's context holds (naming the text's
     *                                  1-based number; one far too long is refused before it is tokenized)
     */
    public Map<Integer, float[][]> capture(List<String> texts, Collection<Integer> layers, String label) {
        if (encoder != null) {
            return encoder.capture(texts, layers, label);
        }
        if (texts.isEmpty()) {
            throw new IllegalArgumentException("no texts to read activations from");
        }
        layers.forEach(model::checkLayer);
        int hidden = model.hiddenSize();
        Map<Integer, float[][]> out = new TreeMap<>();
        for (int l : layers) {
            out.put(l, new float[texts.size()][]);
        }
        try (ProgressBar bar = progress ? new ProgressBarBuilder().setTaskName(label).setInitialMax(texts.size())
                .setStyle(ProgressBarStyle.ASCII).continuousUpdate().build() : null) {
            for (int start = 0; start < texts.size(); start += batchSize) {
                int end = Math.min(texts.size(), start + batchSize);
                List<long[]> rows = new ArrayList<>();
                for (int i = start; i < end; i++) {
                    String text = texts.get(i);
                    int context = model.config().contextLength();
                    if (text.length() > SteeringVectorComputer.maxTextChars(model)) {
                        throw new IllegalArgumentException("text #" + (i + 1) + " of the " + label + " is " + text.length()
                                + " characters long: it cannot fit in the model's context of " + context + " tokens");
                    }
                    long[] ids = model.tokenizer().encode(text);
                    if (ids.length == 0) {
                        throw new IllegalArgumentException("text " + i + " encodes to no tokens: '" + texts.get(i) + "'");
                    }
                    if (ids.length > context) {
                        throw new IllegalArgumentException("text #" + (i + 1) + " of the " + label + " is " + ids.length
                                + " tokens long, more than the model's context of " + context + " tokens");
                    }
                    rows.add(ids);
                }
                int[] lens = rows.stream().mapToInt(r -> r.length).toArray();
                int t = java.util.Arrays.stream(lens).max().orElse(0);
                int[][] columns = new int[rows.size()][];
                for (int r = 0; r < rows.size(); r++) {
                    columns[r] = columnsToRead(texts.get(start + r), rows.get(r), t);
                }
                HookSet.Builder hooks = HookSet.builder();
                for (int l : layers) {
                    hooks.add(point, l, ColumnMeanReader.into(out.get(l), start, columns, t, hidden));
                }
                try (NDManager m = model.newCallManager()) {
                    model.forward(ForwardInput.leftPadded(m, rows, model.padTokenId(), lens), null, hooks.build(),
                            LogitsMode.NONE);
                }
                if (bar != null) {
                    bar.stepTo(end);
                }
            }
        }
        return out;
    }

    /** How many of {@code ids}' first tokens are the tokenizer's special prefix (0 when it is the whole text). */
    private int leadingSpecialTokens(long[] ids) {
        long[] prefix = model.tokenizer().specialPrefix();
        if (prefix.length == 0 || ids.length <= prefix.length) {
            return 0;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (ids[i] != prefix[i]) {
                return 0;
            }
        }
        return prefix.length;
    }

    /** Padded-batch columns to average for one row (a single column except for the mean). */
    private int[] columnsToRead(String text, long[] ids, int paddedLength) {
        int len = ids.length;
        int pad = paddedLength - len;
        if (read instanceof ReadPosition.Mean) {
            // BOS is the same for every text (and a large outlier in Llama models): the mean is over the text's own
            // tokens, as steering-vectors' mean reads the tokens of the text.
            int skip = leadingSpecialTokens(ids);
            int[] cols = new int[len - skip];
            for (int i = skip; i < len; i++) {
                cols[i - skip] = pad + i;
            }
            return cols;
        }
        return new int[] {pad + ReadIndex.of(read, text, ids, model.tokenizer())};
    }
}
