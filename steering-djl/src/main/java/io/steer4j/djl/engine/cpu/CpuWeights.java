package io.steer4j.djl.engine.cpu;

/**
 * The Java CPU engine's float32 copy of a decoder's weights, in {@link io.steer4j.djl.engine.DecoderSpec}'s layout:
 * every matrix as its {@code out} rows of {@code in} floats (one array per row, see {@code SimdKernels#matmulRows}),
 * q|k|v fused and, for a gated MLP, gate|up fused.
 *
 * @param embed     token embedding rows {@code [vocab][hidden]}
 * @param positions learned position embedding {@code [context * hidden]}, or null
 * @param layers    the blocks
 * @param finalNorm the norm before the head
 * @param head      the LM head (may share {@code embed}'s rows)
 */
public record CpuWeights(float[][] embed, float[] positions, Layer[] layers, Norm finalNorm, Projection head) {

    /**
     * A projection {@code y = x W^T + b}.
     *
     * @param w   the {@code out} rows of the {@code [out, in]} weight
     * @param b   the bias, or null
     * @param out output width
     * @param in  input width
     */
    public record Projection(float[][] w, float[] b, int out, int in) {
        /** Checks the rows against the declared shape. */
        public Projection {
            if (w.length != out || w.length == 0 || w[0].length != in || (b != null && b.length != out)) {
                throw new IllegalArgumentException("weight of " + w.length + " x " + (w.length == 0 ? 0 : w[0].length)
                        + " floats" + (b == null ? "" : " with a bias of " + b.length) + ", expected " + out + " x "
                        + in);
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
}
