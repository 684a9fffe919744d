package io.steer4j.djl.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

import java.util.List;

/**
 * A BERT checkpoint's tensors in the layout {@link BertForward} reads: matrices {@code [out, in]} as
 * {@code nn.Linear} stores them, query|key|value fused into one projection. The pooler and the masked-LM head are
 * null when the checkpoint has none (sentence-transformers exports keep neither).
 */
record BertWeights(NDArray words, NDArray positions, NDArray types, Norm embedNorm, Layer[] layers,
                   Linear pooler, MaskedLmHead maskedLm) {

    /** LayerNorm weight and bias. */
    record Norm(NDArray weight, NDArray bias) {
    }

    /** A dense layer. */
    record Linear(NDArray weight, NDArray bias) {
    }

    /** One post-LayerNorm block. */
    record Layer(Linear qkv, Linear attnOut, Norm attnNorm, Linear up, Linear down, Norm outNorm) {
    }

    /** {@code cls.predictions}: dense, activation, LayerNorm, then the word embedding (tied) plus a bias. */
    record MaskedLmHead(Linear transform, Norm norm, NDArray bias) {
    }

    /** Prefixes BERT checkpoints put before the body's names ({@code BertForMaskedLM} has {@code bert.}). */
    static final List<String> PREFIXES = List.of("", "bert.");

    /** Tensors a checkpoint may hold that the forward pass has no use for. */
    static boolean isIgnorable(String name) {
        return name.endsWith("position_ids") || name.startsWith("cls.seq_relationship.")
                || name.equals("cls.predictions.decoder.weight") || name.equals("cls.predictions.decoder.bias");
    }

    static BertWeights load(BertConfig c, WeightStore w, NDManager m) {
        long d = c.hiddenSize();
        long inner = c.intermediateSize();
        String e = "embeddings.";
        NDArray words = w.load(m, e + "word_embeddings.weight", c.vocabSize(), d);
        NDArray positions = w.load(m, e + "position_embeddings.weight", c.maxPositions(), d);
        NDArray types = w.load(m, e + "token_type_embeddings.weight", c.typeVocabSize(), d);
        Norm embedNorm = norm(w, m, e + "LayerNorm", d);
        Layer[] layers = new Layer[c.numLayers()];
        for (int i = 0; i < layers.length; i++) {
            String p = "encoder.layer." + i + ".";
            String a = p + "attention.self.";
            Linear qkv = new Linear(
                    fuse(w.load(m, a + "query.weight", d, d), w.load(m, a + "key.weight", d, d),
                            w.load(m, a + "value.weight", d, d)),
                    fuse(w.load(m, a + "query.bias", d), w.load(m, a + "key.bias", d), w.load(m, a + "value.bias", d)));
            layers[i] = new Layer(qkv, linear(w, m, p + "attention.output.dense", d, d),
                    norm(w, m, p + "attention.output.LayerNorm", d),
                    linear(w, m, p + "intermediate.dense", inner, d), linear(w, m, p + "output.dense", d, inner),
                    norm(w, m, p + "output.LayerNorm", d));
        }
        Linear pooler = w.has("pooler.dense.weight") ? linear(w, m, "pooler.dense", d, d) : null;
        MaskedLmHead head = null;
        if (w.has("cls.predictions.transform.dense.weight")) {
            head = new MaskedLmHead(linear(w, m, "cls.predictions.transform.dense", d, d),
                    norm(w, m, "cls.predictions.transform.LayerNorm", d),
                    w.load(m, "cls.predictions.bias", c.vocabSize()));
        }
        return new BertWeights(words, positions, types, embedNorm, layers, pooler, head);
    }

    private static Norm norm(WeightStore w, NDManager m, String name, long d) {
        return new Norm(w.load(m, name + ".weight", d), w.load(m, name + ".bias", d));
    }

    private static Linear linear(WeightStore w, NDManager m, String name, long out, long in) {
        return new Linear(w.load(m, name + ".weight", out, in), w.load(m, name + ".bias", out));
    }

    /** Concatenates along the output axis (one matmul instead of three) and frees the parts. */
    private static NDArray fuse(NDArray... parts) {
        NDArray out = NDArrays.concat(new NDList(parts), 0);
        for (NDArray p : parts) {
            p.close();
        }
        return out;
    }
}
