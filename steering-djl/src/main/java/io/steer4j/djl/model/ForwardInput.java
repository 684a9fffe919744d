package io.steer4j.djl.model;

import ai.djl.ndarray.NDManager;

import java.util.List;

/**
 * A rectangular batch of token ids for one forward call: rows of different lengths are left-padded, and a mask
 * marks real tokens (1) and padding (0). Left padding keeps every row's newest token in the last column, which is
 * what batched generation needs.
 */
public final class ForwardInput {
    private final NDManager manager;
    private final long[][] tokens;
    private final int[][] mask;
    private final int[] promptLengths;

    private ForwardInput(NDManager manager, long[][] tokens, int[][] mask, int[] promptLengths) {
        this.manager = manager;
        this.tokens = tokens;
        this.mask = mask;
        this.promptLengths = promptLengths;
    }

    /**
     * Left-pads rows to a common length.
     *
     * @param manager       owns every array of the call
     * @param rows          token ids per row (each non-empty)
     * @param padId         id written into padding slots (never attended to)
     * @param promptLengths real prompt length of each row, used by hooks to tell prompt from generated tokens
     */
    public static ForwardInput leftPadded(NDManager manager, List<long[]> rows, long padId, int[] promptLengths) {
        if (rows.isEmpty()) {
            throw new IllegalArgumentException("a forward call needs at least one row");
        }
        int t = 0;
        for (int i = 0; i < rows.size(); i++) {
            if (rows.get(i).length == 0) {
                throw new IllegalArgumentException("row " + i + " has no tokens");
            }
            t = Math.max(t, rows.get(i).length);
        }
        long[][] tok = new long[rows.size()][t];
        int[][] mask = new int[rows.size()][t];
        for (int b = 0; b < rows.size(); b++) {
            long[] r = rows.get(b);
            int pad = t - r.length;
            for (int i = 0; i < t; i++) {
                tok[b][i] = i < pad ? padId : r[i - pad];
                mask[b][i] = i < pad ? 0 : 1;
            }
        }
        return new ForwardInput(manager, tok, mask, promptLengths.clone());
    }

    /** A batch where every row adds exactly one real token (a decode step). */
    public static ForwardInput step(NDManager manager, long[] nextTokens, int[] promptLengths) {
        boolean[] all = new boolean[nextTokens.length];
        java.util.Arrays.fill(all, true);
        return step(manager, nextTokens, promptLengths, all);
    }

    /**
     * A decode step in which only the {@code live} rows add a real token; the others get a padding slot, so a row
     * that has finished neither advances its position (it may have reached the context) nor is attended to.
     */
    public static ForwardInput step(NDManager manager, long[] nextTokens, int[] promptLengths, boolean[] live) {
        if (live.length != nextTokens.length) {
            throw new IllegalArgumentException(live.length + " live flags for " + nextTokens.length + " rows");
        }
        long[][] tok = new long[nextTokens.length][1];
        int[][] mask = new int[nextTokens.length][1];
        for (int b = 0; b < nextTokens.length; b++) {
            tok[b][0] = nextTokens[b];
            mask[b][0] = live[b] ? 1 : 0;
        }
        return new ForwardInput(manager, tok, mask, promptLengths.clone());
    }

    /**
     * @return the manager that owns the tensors of this forward pass
     */
    public NDManager manager() {
        return manager;
    }

    /**
     * @return the number of rows
     */
    public int batchSize() {
        return tokens.length;
    }

    /**
     * @return the number of token positions per row in this pass
     */
    public int length() {
        return tokens[0].length;
    }

    int[][] mask() {
        return mask;
    }

    int[] promptLengths() {
        return promptLengths;
    }

    long[] flatTokens() {
        int t = length();
        long[] out = new long[tokens.length * t];
        for (int b = 0; b < tokens.length; b++) {
            System.arraycopy(tokens[b], 0, out, b * t, t);
        }
        return out;
    }

    /** Logical position per token (-1 for padding), continuing from {@code next} when a cache is in use. */
    long[][] logicalPositions(long[] next) {
        long[][] out = new long[tokens.length][length()];
        for (int b = 0; b < tokens.length; b++) {
            long p = next == null ? 0 : next[b];
            for (int i = 0; i < length(); i++) {
                out[b][i] = mask[b][i] == 1 ? p++ : -1;
            }
        }
        return out;
    }

    void advance(long[] next) {
        for (int b = 0; b < tokens.length; b++) {
            for (int v : mask[b]) {
                next[b] += v;
            }
        }
    }
}
