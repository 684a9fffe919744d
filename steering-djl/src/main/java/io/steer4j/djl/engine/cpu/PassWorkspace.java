package io.steer4j.djl.engine.cpu;

/**
 * The arrays a {@link CpuDecoder} pass computes into (activations, products, packed tokens, attention scratch),
 * kept by the decoder and reused by each of its passes, so that a decode step allocates nothing but its logits and
 * a prompt pass allocates nothing once a pass as long has run.
 *
 * <p>Why: a 512-token prompt made ~25 MB of new arrays per block; with a small young generation they outlived
 * a collection, were promoted and grew the old generation (peak RSS +150 MB on GPT-2 small), and a decode step's
 * few kilobytes per product added up to a young collection every few dozen tokens. Arrays only grow, to the
 * longest pass the decoder has run (about {@code 20 * t * hidden} floats for {@code t} tokens: 30 MB at 512 tokens
 * of GPT-2 small), and are kept until the model is closed: they hold at least the floats asked for, often more, so
 * the decoder passes lengths explicitly and never reads {@code length}. Passes use it one at a time; hooks never
 * see these arrays (see {@link CpuDecoder#run}).
 *
 * <p>Part scratch ({@link #part}) is per part of a {@link SpinPool} task: a part runs on one thread at a time and
 * the pool's hand-off orders one task's parts before the next task's, so a part's arrays need no locking.
 */
final class PassWorkspace {
    /** Arrays the whole pass shares, one of each. */
    enum Buffer {
        /** The residual stream, {@code [t, hidden]}. */
        RESIDUAL,
        /** A norm's output, the input of the next product. */
        NORMED,
        /** The attention block's output after its projection. */
        ATTENTION,
        /** The MLP block's output. */
        MLP,
        /** Queries, keys and values of every token. */
        QKV,
        /** Attention's context, before the output projection. */
        CONTEXT,
        /** The MLP's up (and gate) projection. */
        UP,
        /** {@code act(gate) * up} of a gated MLP. */
        GATED,
        /** A product's input packed into token panels ({@link SimdKernels#packPanels}). */
        PANELS,
        /** Rotary cosines, {@code [t, dims / 2]}. */
        COS,
        /** Rotary sines. */
        SIN,
        /** The rows the head runs on. */
        LAST,
        /** Even inputs of a one-token product over 16-bit weights. */
        EVEN,
        /** Odd inputs of it. */
        ODD
    }

    /** Arrays each part of a thread-team task has for itself. */
    enum PartBuffer {
        /** Attention scores of one query (decode) or of a panel of queries (prompt). */
        SCORES,
        /** A panel of queries, transposed. */
        QUERIES,
        /** Partial sums of the prompt kernel between input blocks. */
        PARTIAL_SUMS
    }

    private final float[][] shared = new float[Buffer.values().length][];
    private final float[][][] parts = new float[PartBuffer.values().length][][];
    /** Per part: the row table the float kernels index ({@link CpuDecoder#matmul} over 16-bit weights). */
    private float[][][] windows;
    /** Per part: rows of a 16-bit matrix widened to float32, a block at a time. */
    private float[][][] widened;

    /** An array of at least {@code floats} floats for {@code b}: its contents are what the last pass left. */
    float[] get(Buffer b, int floats) {
        float[] a = shared[b.ordinal()];
        if (a == null || a.length < floats) {
            a = new float[floats];
            shared[b.ordinal()] = a;
        }
        return a;
    }

    /**
     * Makes room for the parts of the thread team's tasks, {@code count} of them; called by the pass's own thread
     * before its first task, so that parts only ever touch their own slots.
     */
    void reserveParts(int count) {
        for (int b = 0; b < parts.length; b++) {
            if (parts[b] == null || parts[b].length < count) {
                parts[b] = parts[b] == null ? new float[count][] : java.util.Arrays.copyOf(parts[b], count);
            }
        }
        if (windows == null || windows.length < count) {
            windows = windows == null ? new float[count][][] : java.util.Arrays.copyOf(windows, count);
            widened = widened == null ? new float[count][][] : java.util.Arrays.copyOf(widened, count);
        }
    }

    /** Part {@code part}'s array of at least {@code floats} floats for {@code b} (after {@link #reserveParts}). */
    float[] part(PartBuffer b, int part, int floats) {
        float[][] byPart = parts[b.ordinal()];
        float[] a = byPart[part];
        if (a == null || a.length < floats) {
            a = new float[floats];
            byPart[part] = a;
        }
        return a;
    }

    /** Part {@code part}'s row table of at least {@code rows} entries (after {@link #reserveParts}). */
    float[][] window(int part, int rows) {
        float[][] w = windows[part];
        if (w == null || w.length < rows) {
            w = new float[rows][];
            windows[part] = w;
        }
        return w;
    }

    /**
     * Part {@code part}'s {@code rows} rows of at least {@code in} floats each (after {@link #reserveParts}). Each row
     * grows on its own: products of different widths widen different numbers of rows (a block is about 1 MB), and
     * growing the whole table to the largest of both would hold several times that.
     */
    float[][] widened(int part, int rows, int in) {
        float[][] w = widened[part];
        if (w == null || w.length < rows) {
            w = w == null ? new float[rows][] : java.util.Arrays.copyOf(w, rows);
            widened[part] = w;
        }
        for (int r = 0; r < rows; r++) {
            if (w[r] == null || w[r].length < in) {
                w[r] = new float[in];
            }
        }
        return w;
    }
}
