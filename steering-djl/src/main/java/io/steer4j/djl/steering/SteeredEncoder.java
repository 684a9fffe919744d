package io.steer4j.djl.steering;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.djl.hooks.HookSet;
import io.steer4j.djl.model.EncoderModel;
import io.steer4j.djl.model.SentencePooling;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * Steered encoder outputs: token hidden states, sentence embeddings and fill-mask predictions of a BERT model,
 * each computed under a {@link SteeringPlan} (add, ablate/project-out, clamp; per layer, per token scope), the
 * encoder counterpart of {@link SteeredModel}.
 *
 * <p>Texts are encoded as Hugging Face's tokenizer does ({@code [CLS] text [SEP]}), sorted by length and run in
 * right-padded batches; results come back in input order. Token scopes count positions from {@code [CLS]} (0);
 * every token of an encoder input is a prompt token. Immutable and thread safe: each call carries its own plan.
 *
 * <pre>{@code
 * SteeredEncoder enc = SteeredEncoder.of(EncoderModel.load(Path.of("models/all-minilm-l6-v2")));
 * float[][] plain = enc.embed(List.of("The food was fine."), SteeringPlan.NONE);
 * float[][] warmer = enc.embed(List.of("The food was fine."), SteeringPlan.atLayers(sentiment, 4.0, 3));
 * List<List<MaskPrediction>> top = enc.fillMask("The capital of France is [MASK].", 5, SteeringPlan.NONE);
 * }</pre>
 */
public final class SteeredEncoder {
    /** Rows per forward pass by default. */
    public static final int DEFAULT_BATCH_SIZE = 32;

    private final EncoderModel model;
    private final SentencePooling pooling;
    private final int batchSize;

    private SteeredEncoder(EncoderModel model, SentencePooling pooling, int batchSize) {
        this.model = Objects.requireNonNull(model, "model");
        this.pooling = Objects.requireNonNull(pooling, "pooling");
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        }
        this.batchSize = batchSize;
    }

    /** The encoder with the pooling its folder declares ({@link EncoderModel#pooling()}). */
    public static SteeredEncoder of(EncoderModel model) {
        return new SteeredEncoder(model, model.pooling(), DEFAULT_BATCH_SIZE);
    }

    /** This encoder with another sentence pooling (CLS for a plain BERT, say). */
    public SteeredEncoder withPooling(SentencePooling p) {
        return new SteeredEncoder(model, p, batchSize);
    }

    /** This encoder running {@code n} texts per forward pass. */
    public SteeredEncoder withBatchSize(int n) {
        return new SteeredEncoder(model, pooling, n);
    }

    /** The model. */
    public EncoderModel model() {
        return model;
    }

    /** The sentence pooling {@link #embed} applies. */
    public SentencePooling pooling() {
        return pooling;
    }

    /**
     * The last hidden state of each text, token by token.
     *
     * @throws IllegalArgumentException when a text is longer than the model's positions, or the plan does not fit
     *                                  the model
     */
    public List<TokenStates> hiddenStates(List<String> texts, SteeringPlan plan) {
        List<long[]> rows = encode(texts, model.config().maxPositions(), false);
        int d = model.hiddenSize();
        TokenStates[] out = new TokenStates[texts.size()];
        runBatches(rows, plan, (m, idx, batch, hidden) -> {
            float[] all = hidden.toFloatArray();
            int t = (int) hidden.getShape().get(1);
            for (int r = 0; r < idx.length; r++) {
                long[] ids = batch.get(r);
                float[][] states = new float[ids.length][];
                for (int i = 0; i < ids.length; i++) {
                    states[i] = Arrays.copyOfRange(all, (r * t + i) * d, (r * t + i + 1) * d);
                }
                out[idx[r]] = new TokenStates(ids, states);
            }
        });
        return List.of(out);
    }

    /**
     * One embedding per text, pooled and (when the pooling says so) L2-normalised; texts longer than the pooling's
     * {@code maxSeqLength} (or the model's positions) are truncated before {@code [SEP]}, as sentence-transformers
     * does.
     */
    public float[][] embed(List<String> texts, SteeringPlan plan) {
        int max = (int) Math.min(pooling.maxSeqLength(), model.config().maxPositions());
        List<long[]> rows = encode(texts, max, true);
        float[][] out = new float[texts.size()][];
        int d = model.hiddenSize();
        runBatches(rows, plan, (m, idx, batch, hidden) -> {
            float[] pooled = pool(m, hidden, batch).toFloatArray();
            for (int r = 0; r < idx.length; r++) {
                out[idx[r]] = Arrays.copyOfRange(pooled, r * d, (r + 1) * d);
            }
        });
        return out;
    }

    /** {@link #embed(List, SteeringPlan)} of one text. */
    public float[] embed(String text, SteeringPlan plan) {
        return embed(List.of(text), plan)[0];
    }

    /**
     * The top {@code k} predictions for each {@code [MASK]} of {@code text}, in the order the masks appear, as
     * Hugging Face's fill-mask pipeline gives them (softmax over the vocabulary, highest first).
     *
     * @throws IllegalArgumentException when the text has no mask token or {@code k} is not positive
     * @throws IllegalStateException    when the model has no masked-LM head
     */
    public List<List<MaskPrediction>> fillMask(String text, int k, SteeringPlan plan) {
        if (k < 1) {
            throw new IllegalArgumentException("top k must be positive, got " + k);
        }
        float[][] logProbs = maskLogProbabilities(List.of(text), plan).get(0);
        List<List<MaskPrediction>> out = new ArrayList<>();
        for (float[] lp : logProbs) {
            Integer[] order = new Integer[lp.length];
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
            }
            Arrays.sort(order, Comparator.comparingDouble((Integer i) -> lp[i]).reversed());
            List<MaskPrediction> top = new ArrayList<>();
            for (int j = 0; j < Math.min(k, order.length); j++) {
                long id = order[j];
                top.add(new MaskPrediction(model.tokenizer().decode(new long[] {id}, false), id, Math.exp(lp[order[j]])));
            }
            out.add(List.copyOf(top));
        }
        return List.copyOf(out);
    }

    /**
     * Log-probabilities over the vocabulary at every {@code [MASK]} of each text: {@code [text][mask][vocab]}. For
     * comparing words at the mask (a steering effect as log-odds of two word lists, say).
     *
     * @throws IllegalArgumentException when a text has no mask token
     * @throws IllegalStateException    when the model has no masked-LM head
     */
    public List<float[][]> maskLogProbabilities(List<String> texts, SteeringPlan plan) {
        if (!model.hasMaskedLmHead()) {
            throw new IllegalStateException("model " + model.modelId() + " has no masked-LM head (cls.predictions);"
                    + " fill-mask needs a BertForMaskedLM checkpoint");
        }
        long mask = maskTokenId();
        List<long[]> rows = encode(texts, model.config().maxPositions(), false);
        for (int i = 0; i < rows.size(); i++) {
            if (Arrays.stream(rows.get(i)).noneMatch(id -> id == mask)) {
                throw new IllegalArgumentException("text #" + (i + 1) + " has no [MASK] token");
            }
        }
        float[][][] out = new float[texts.size()][][];
        runBatches(rows, plan, (m, idx, batch, hidden) -> {
            int t = (int) hidden.getShape().get(1);
            List<Long> flat = new ArrayList<>();
            List<int[]> where = new ArrayList<>();
            for (int r = 0; r < idx.length; r++) {
                long[] ids = batch.get(r);
                for (int i = 0; i < ids.length; i++) {
                    if (ids[i] == mask) {
                        flat.add((long) r * t + i);
                        where.add(new int[] {r, i});
                    }
                }
            }
            NDArray rowsAt = m.create(flat.stream().mapToLong(Long::longValue).toArray());
            NDArray picked = hidden.reshape(-1, model.hiddenSize()).get(rowsAt);
            NDArray lp = model.maskedLmLogits(picked).logSoftmax(-1);
            float[] all = lp.toFloatArray();
            int vocab = model.config().vocabSize();
            int[] count = new int[idx.length];
            for (int[] w : where) {
                count[w[0]]++;
            }
            for (int r = 0; r < idx.length; r++) {
                out[idx[r]] = new float[count[r]][];
            }
            int[] filled = new int[idx.length];
            for (int j = 0; j < where.size(); j++) {
                int r = where.get(j)[0];
                out[idx[r]][filled[r]++] = Arrays.copyOfRange(all, j * vocab, (j + 1) * vocab);
            }
        });
        return List.of(out);
    }

    /** The id of {@code [MASK]} in this model's tokenizer. */
    public long maskTokenId() {
        long[] ids = model.tokenizer().encode("[MASK]", false);
        if (ids.length != 1) {
            throw new IllegalStateException("the tokenizer of " + model.modelId() + " has no [MASK] token");
        }
        return ids[0];
    }

    // ------------------------------------------------------------------------------------------------ internals

    /** Work on one batch's last hidden state, on the engine thread. */
    private interface BatchWork {
        void accept(NDManager m, int[] inputIndexes, List<long[]> rows, NDArray hidden);
    }

    private List<long[]> encode(List<String> texts, int maxTokens, boolean truncate) {
        if (texts.isEmpty()) {
            throw new IllegalArgumentException("no texts to encode");
        }
        List<long[]> rows = new ArrayList<>(texts.size());
        long[] prefix = model.tokenizer().specialPrefix();
        long[] suffix = model.tokenizer().specialSuffix();
        for (int i = 0; i < texts.size(); i++) {
            String text = Objects.requireNonNull(texts.get(i), "text");
            long[] ids = model.tokenizer().encode(text);
            if (ids.length > maxTokens) {
                if (!truncate) {
                    throw new IllegalArgumentException("text #" + (i + 1) + " is " + ids.length + " tokens long, more"
                            + " than the model's " + maxTokens + " positions");
                }
                // Keep the special tokens and cut the text's own tokens, as Hugging Face's truncation does.
                long[] cut = new long[maxTokens];
                int body = maxTokens - prefix.length - suffix.length;
                System.arraycopy(ids, 0, cut, 0, prefix.length + body);
                System.arraycopy(suffix, 0, cut, maxTokens - suffix.length, suffix.length);
                ids = cut;
            }
            rows.add(ids);
        }
        return rows;
    }

    /** Runs rows in length-sorted batches under the plan (one copy of it per row). */
    private void runBatches(List<long[]> rows, SteeringPlan plan, BatchWork work) {
        Objects.requireNonNull(plan, "plan");
        plan.validate(model.numLayers(), model.hiddenSize());
        Integer[] order = new Integer[rows.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        // Similar lengths together waste less on padding; results are put back in input order.
        Arrays.sort(order, Comparator.comparingInt(i -> rows.get(i).length));
        for (int start = 0; start < order.length; start += batchSize) {
            int end = Math.min(order.length, start + batchSize);
            int[] idx = new int[end - start];
            List<long[]> batch = new ArrayList<>(idx.length);
            for (int j = start; j < end; j++) {
                idx[j - start] = order[j];
                batch.add(rows.get(order[j]));
            }
            try (NDManager m = model.newCallManager()) {
                model.compute(() -> {
                    HookSet hooks = plan.isEmpty() ? HookSet.NONE
                            : PlanHooks.build(Collections.nCopies(idx.length, plan), m, model.hiddenSize());
                    NDArray hidden = model.forward(m, batch, hooks);
                    work.accept(m, idx, batch, hidden);
                    return null;
                });
            }
        }
    }

    /** Pools {@code [batch, t, hidden]} over each row's real tokens, normalising when asked. */
    private NDArray pool(NDManager m, NDArray hidden, List<long[]> rows) {
        int b = rows.size();
        int t = (int) hidden.getShape().get(1);
        float[] mask = new float[b * t];
        float[] lens = new float[b];
        for (int r = 0; r < b; r++) {
            for (int i = 0; i < rows.get(r).length; i++) {
                mask[r * t + i] = 1f;
            }
            lens[r] = rows.get(r).length;
        }
        NDArray maskArr = m.create(mask, new Shape(b, t, 1));
        NDArray pooled = switch (pooling.mode()) {
            case MEAN -> hidden.mul(maskArr).sum(new int[] {1}).div(m.create(lens, new Shape(b, 1)));
            case CLS -> hidden.get(new NDIndex(":, 0, :"));
            case MAX -> hidden.add(maskArr.sub(1f).mul(1e9f)).max(new int[] {1});
        };
        if (pooling.normalize()) {
            pooled = pooled.div(pooled.norm(new int[] {1}, true).maximum(1e-12f));
        }
        return pooled;
    }
}
