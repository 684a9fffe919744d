package io.steer4j.djl.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.steer4j.djl.hooks.HookSet;
import io.steer4j.djl.model.ForwardInput;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.model.LogitsMode;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The fixed set of token sequences a sweep scores, split once into length-sorted batches. Running them under a
 * hook set costs one forward pass per batch and returns, per row, the log-probabilities of its target tokens and
 * (for rows that ask) the whole next-token log-probability vector at one position.
 *
 * <p>The batches are identical for every run, so the unsteered and steered runs see the same padding and shapes;
 * log-softmax and the gathering of target values happen on the device, and only the needed numbers are copied out.
 */
final class ScoringRows {
    /**
     * One sequence to score.
     *
     * @param ids                  token ids
     * @param promptLength         tokens treated as prompt (for token scopes); the rest count as generated
     * @param targetPositions      positions whose next-token log-probability is read ...
     * @param targetTokens         ... for these tokens
     * @param distributionPosition position whose full next-token distribution is returned, or -1
     */
    record Row(long[] ids, int promptLength, int[] targetPositions, long[] targetTokens, int distributionPosition) {
    }

    /**
     * What one run produced for one row.
     *
     * @param targetLogProbs natural-log probabilities of the target tokens, in row order
     * @param distribution   next-token log-probabilities at the distribution position, or null
     */
    record Output(double[] targetLogProbs, float[] distribution) {
    }

    private final LanguageModel model;
    private final List<Row> rows;
    private final List<int[]> batches;

    ScoringRows(LanguageModel model, List<Row> rows, int batchSize) {
        if (rows.isEmpty()) {
            throw new IllegalArgumentException("nothing to score");
        }
        this.model = model;
        this.rows = List.copyOf(rows);
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            order.add(i);
        }
        order.sort(Comparator.comparingInt(i -> rows.get(i).ids().length));
        List<int[]> b = new ArrayList<>();
        for (int s = 0; s < order.size(); s += batchSize) {
            b.add(order.subList(s, Math.min(order.size(), s + batchSize)).stream().mapToInt(Integer::intValue)
                    .toArray());
        }
        this.batches = List.copyOf(b);
    }

    /** Forward passes per run. */
    int batchCount() {
        return batches.size();
    }

    /**
     * Scores every row under {@code hooks}.
     *
     * @param afterBatch called after each forward pass (progress)
     * @return one output per row, in row order
     */
    Output[] run(HookSet hooks, Runnable afterBatch) {
        Output[] out = new Output[rows.size()];
        int vocab = model.config().vocabSize();
        for (int[] batch : batches) {
            List<long[]> ids = new ArrayList<>();
            int[] promptLengths = new int[batch.length];
            int t = 0;
            int targets = 0;
            for (int r = 0; r < batch.length; r++) {
                Row row = rows.get(batch[r]);
                ids.add(row.ids());
                promptLengths[r] = row.promptLength();
                t = Math.max(t, row.ids().length);
                targets += row.targetPositions().length;
            }
            final int tt = t;
            final int nTargets = targets;
            // Forward, log-softmax and gathers all run on the model's engine thread (one hot OpenMP team).
            model.compute(() -> {
                try (NDManager m = model.newCallManager()) {
                    NDArray logits = model.forward(ForwardInput.leftPadded(m, ids, model.padTokenId(), promptLengths),
                            null, hooks, LogitsMode.ALL);
                    NDArray lp = logits.logSoftmax(-1);
                    if (lp.getDataType() != DataType.FLOAT32) {
                        lp = lp.toType(DataType.FLOAT32, false);
                    }
                    // Flat indices into [B, T, V]: one gather for every target of the batch.
                    long[] flat = new long[nTargets];
                    int k = 0;
                    for (int r = 0; r < batch.length; r++) {
                        Row row = rows.get(batch[r]);
                        int pad = tt - row.ids().length;
                        for (int j = 0; j < row.targetPositions().length; j++) {
                            flat[k++] = ((long) r * tt + pad + row.targetPositions()[j]) * vocab + row.targetTokens()[j];
                        }
                    }
                    float[] gathered = nTargets == 0 ? new float[0]
                            : lp.reshape(-1).take(m, m.create(flat)).toFloatArray();
                    k = 0;
                    for (int r = 0; r < batch.length; r++) {
                        Row row = rows.get(batch[r]);
                        int pad = tt - row.ids().length;
                        double[] tl = new double[row.targetPositions().length];
                        for (int j = 0; j < tl.length; j++) {
                            tl[j] = gathered[k++];
                        }
                        float[] dist = row.distributionPosition() < 0 ? null
                                : lp.get(r, pad + row.distributionPosition()).toFloatArray();
                        out[batch[r]] = new Output(tl, dist);
                    }
                }
                return null;
            });
            afterBatch.run();
        }
        return out;
    }
}
