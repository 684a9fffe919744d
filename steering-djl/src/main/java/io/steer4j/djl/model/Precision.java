package io.steer4j.djl.model;

import ai.djl.ndarray.types.DataType;

/**
 * The number format a model's weights are kept in and its matrix products run in.
 *
 * <p>{@link #FLOAT16} halves the weights' memory and the bytes each decoded token reads; it is meant for GPUs,
 * where half-precision products are fast. On CPU, libtorch's float16 products are slower than float32 ones
 * ({@code bench --sections precision} prints both), so {@link #FLOAT32} is the default there. Whatever the
 * precision, the parts where float16 loses accuracy run in float32 as Hugging Face transformers does: attention
 * scores, mask and softmax, RMSNorm statistics and the rotary tables' computation. Hooks always see float32
 * activations (so steering vectors, captures and user hooks work unchanged) and logits are float32.
 *
 * <pre>{@code
 * LanguageModel m = LanguageModel.load("gpt2", Device.gpu(), Precision.FLOAT16);
 * }</pre>
 *
 * <p>bfloat16 is not offered: DJL 0.36's PyTorch bridge aborts the JVM when it creates or casts to a bfloat16
 * tensor (measured), so bfloat16 checkpoints are read and widened to float32, or narrowed to float16 here.
 */
public enum Precision {
    /** Weights and activations in float32 (default). */
    FLOAT32(DataType.FLOAT32),
    /** Weights and matrix products in float16; see the class comment for what stays float32. */
    FLOAT16(DataType.FLOAT16);

    private final DataType dataType;

    Precision(DataType dataType) {
        this.dataType = dataType;
    }

    /** The DJL data type of the weights. */
    public DataType dataType() {
        return dataType;
    }

    /** Parses {@code float32}/{@code fp32}/{@code f32} or {@code float16}/{@code fp16}/{@code f16}/{@code half}. */
    public static Precision parse(String s) {
        return switch (s.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "float32", "fp32", "f32" -> FLOAT32;
            case "float16", "fp16", "f16", "half" -> FLOAT16;
            case "bfloat16", "bf16" -> throw new IllegalArgumentException("precision '" + s + "' is not supported: "
                    + "DJL's PyTorch bridge aborts on bfloat16 tensors; use float16 or float32");
            default -> throw new IllegalArgumentException("unknown precision '" + s + "'; use float32 or float16");
        };
    }
}
