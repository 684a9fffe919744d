package io.steer4j.djl.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import java.util.ArrayList;
import java.util.List;

/**
 * A decoder's weights as {@link TensorRecipe}s, in {@link ModelWeights}' one layout (q|k|v fused, gate|up fused,
 * matrices {@code [out, in]}): what {@link ModelFamily#layout} makes of a checkpoint before any value is read.
 * {@link #arrays} turns it into libtorch's {@link ModelWeights}; the Java CPU engine reads the same recipes
 * ({@link JavaEngineBinding#create(io.steer4j.djl.engine.DecoderSpec, WeightLayout, CheckpointRows)}).
 *
 * @param embed     token embedding {@code [vocab, hidden]}
 * @param positions learned position embedding {@code [positions, hidden]}, or null for rotary models
 * @param layers    one entry per block
 * @param finalNorm the norm before the LM head
 * @param lmHead    {@code [vocab, hidden]} (the same recipe object as {@code embed} when tied)
 */
record WeightLayout(TensorRecipe embed, TensorRecipe positions, Layer[] layers, Norm finalNorm,
                    TensorRecipe lmHead) {

    /** A norm's weight, and its bias (null for RMSNorm). */
    record Norm(TensorRecipe weight, TensorRecipe bias) {
    }

    /** One block; see {@link ModelWeights.Layer} for each field. */
    record Layer(Norm norm1, Norm norm2, TensorRecipe qkvW, TensorRecipe qkvB, TensorRecipe outW,
                 TensorRecipe outB, TensorRecipe upW, TensorRecipe upB, TensorRecipe downW, TensorRecipe downB) {
    }

    /** Whether the head shares the token embedding. */
    boolean tied() {
        return lmHead == embed;
    }

    /** Every matrix of the layout (embedding, an untied head, each block's four projections). */
    List<TensorRecipe> matrices() {
        List<TensorRecipe> out = new ArrayList<>();
        out.add(embed);
        if (!tied()) {
            out.add(lmHead);
        }
        for (Layer b : layers) {
            out.addAll(List.of(b.qkvW(), b.outW(), b.upW(), b.downW()));
        }
        return out;
    }

    /** libtorch's arrays for these recipes, created by {@code manager} (a tied head is the embedding's array). */
    ModelWeights arrays(WeightStore store, NDManager manager) {
        NDArray e = store.array(embed, manager);
        NDArray pos = positions == null ? null : store.array(positions, manager);
        ModelWeights.Layer[] out = new ModelWeights.Layer[layers.length];
        for (int l = 0; l < layers.length; l++) {
            Layer b = layers[l];
            out[l] = new ModelWeights.Layer(norm(store, manager, b.norm1()), norm(store, manager, b.norm2()),
                    store.array(b.qkvW(), manager), store.array(b.qkvB(), manager),
                    store.array(b.outW(), manager), store.array(b.outB(), manager),
                    store.array(b.upW(), manager), store.array(b.upB(), manager),
                    store.array(b.downW(), manager), store.array(b.downB(), manager));
        }
        ModelWeights.Norm fin = norm(store, manager, finalNorm);
        NDArray head = tied() ? e : store.array(lmHead, manager);
        return new ModelWeights(e, pos, out, fin, head);
    }

    private static ModelWeights.Norm norm(WeightStore store, NDManager manager, Norm n) {
        return new ModelWeights.Norm(store.array(n.weight(), manager), store.array(n.bias(), manager));
    }
}
