package io.steer4j.djl.model;

import io.steer4j.core.format.safetensors.SafetensorsTensorInfo;

import java.nio.file.Path;
import java.util.List;

/**
 * How one array of a decoder's weights ({@link WeightLayout}) is made from the checkpoint's tensors: a stored
 * tensor, the transpose of one, several concatenated along their first axis, or GPT-NeoX's per-head rows regrouped.
 * A family describes its layout once as recipes ({@link ModelFamily#layout}); each engine then makes its own copy
 * from them: libtorch's NDArrays ({@link WeightStore#array}) or the Java CPU engine's rows, read straight from the
 * file in the stored dtype ({@link CheckpointRows}), so that a 16-bit checkpoint never needs libtorch's float32
 * copy when only the Java engine runs.
 */
sealed interface TensorRecipe {
    /** The logical shape of the result. */
    long[] shape();

    /**
     * A tensor as the checkpoint stores it (its shape already checked against the config).
     *
     * @param file the safetensors file that holds it
     * @param info its header entry (name, dtype, shape, byte range)
     */
    record Stored(Path file, SafetensorsTensorInfo info) implements TensorRecipe {
        @Override
        public long[] shape() {
            return info.shape().clone();
        }
    }

    /**
     * The transpose of a 2-D stored tensor (GPT-2's Conv1D weights are stored {@code [in, out]}).
     *
     * @param of the stored tensor
     */
    record Transposed(Stored of) implements TensorRecipe {
        @Override
        public long[] shape() {
            long[] s = of.shape();
            return new long[] {s[1], s[0]};
        }
    }

    /**
     * Parts joined along the first axis in order (q | k | v, gate | up), one product per token instead of several.
     *
     * @param parts the parts, each of the same trailing shape
     */
    record Concat(List<TensorRecipe> parts) implements TensorRecipe {
        /** Copies the list. */
        public Concat {
            parts = List.copyOf(parts);
        }

        @Override
        public long[] shape() {
            long[] s = parts.get(0).shape();
            long rows = 0;
            for (TensorRecipe p : parts) {
                rows += p.shape()[0];
            }
            s[0] = rows;
            return s;
        }
    }

    /**
     * A fused projection whose rows are ordered (head, q/k/v, i), as GPT-NeoX stores {@code query_key_value},
     * regrouped to (q/k/v, head, i), so that every family's q | k | v splits the same way.
     *
     * @param fused   the stored weight {@code [heads * 3 * headDim, in]} or bias {@code [heads * 3 * headDim]}
     * @param heads   attention heads
     * @param headDim values per head
     */
    record RegroupedPerHead(TensorRecipe fused, long heads, long headDim) implements TensorRecipe {
        @Override
        public long[] shape() {
            return fused.shape();
        }

        /** The source row (first-axis index) of result row {@code r}. */
        long sourceRow(long r) {
            long perPart = heads * headDim;
            long part = r / perPart;
            long head = (r % perPart) / headDim;
            long i = r % headDim;
            return (head * 3 + part) * headDim + i;
        }
    }
}
