package io.steer4j.djl.engine.cpu;

/**
 * The Java CPU engine's copy of a decoder's weights, in {@link io.steer4j.djl.engine.DecoderSpec}'s layout: every
 * matrix as its {@code out} rows of {@code in} values ({@link WeightMatrix}: float32, or bfloat16, float16 or Q8_0
 * for a checkpoint or GGUF file stored so, widened inside the products), q|k|v fused and, for a gated MLP, gate|up fused. Norms, biases and
 * learned positions are float32 whatever the matrices are.
 *
 * @param embed     token embedding rows {@code [vocab][hidden]}
 * @param positions learned position embedding {@code [context * hidden]}, or null
 * @param layers    the blocks
 * @param finalNorm the norm before the head
 * @param head      the LM head (may share {@code embed}'s rows)
 */
public record CpuWeights(WeightMatrix embed, float[] positions, Layer[] layers, Norm finalNorm, Projection head) {

    /**
     * A projection {@code y = x W^T + b}.
     *
     * @param w   the {@code out} rows of the {@code [out, in]} weight
     * @param b   the bias, or null
     * @param out output width
     * @param in  input width
     */
    public record Projection(WeightMatrix w, float[] b, int out, int in) {
        /** Checks the rows against the declared shape. */
        public Projection {
            if (w.rows() != out || w.cols() != in || (b != null && b.length != out)) {
                throw new IllegalArgumentException("weight of " + w.rows() + " x " + w.cols() + " values"
                        + (b == null ? "" : " with a bias of " + b.length) + ", expected " + out + " x " + in);
            }
        }
    }

    /**
     * A norm's weight and bias ({@code b} null for RMSNorm).
     *
     * @param w the weight
     * @param b the bias, or null
     */
    public record Norm(float[] w, float[] b) {
    }

    /**
     * One block.
     *
     * @param norm1 before attention
     * @param norm2 before the MLP
     * @param qkv   fused query, key and value projection
     * @param out   attention output projection
     * @param up    MLP up projection (gate rows first, for a gated MLP)
     * @param down  MLP down projection
     */
    public record Layer(Norm norm1, Norm norm2, Projection qkv, Projection out, Projection up, Projection down) {
    }

    /**
     * Bytes of heap these weights hold (matrix values, norms, biases, positions; not the arrays' headers): a tied
     * head, which shares the embedding's rows, is counted once.
     */
    public long bytes() {
        long n = embed.bytes() + floatBytes(positions) + norm(finalNorm)
                + (head.w() == embed ? 0 : head.w().bytes()) + floatBytes(head.b());
        for (Layer l : layers) {
            n += norm(l.norm1()) + norm(l.norm2());
            for (Projection p : new Projection[] {l.qkv(), l.out(), l.up(), l.down()}) {
                n += p.w().bytes() + floatBytes(p.b());
            }
        }
        return n;
    }

    private static long norm(Norm n) {
        return floatBytes(n.w()) + floatBytes(n.b());
    }

    private static long floatBytes(float[] a) {
        return a == null ? 0 : 4L * a.length;
    }
}
