package io.steer4j.djl.tokenizer;

/**
 * Whether text entry points add the tokenizer's special tokens (BOS and the like) around the text they encode.
 *
 * <p>{@link #AS_DEFINED} is what Hugging Face tokenizers do by default ({@code tokenizer(text)}): the tokens of
 * {@code tokenizer.json}'s post-processor, adjusted by {@code tokenizer_config.json}'s {@code add_bos_token} /
 * {@code add_eos_token} where those are given. That is {@code <s>} before the text for SentencePiece Llama models
 * (Llama 2, Mistral, TinyLlama) and nothing for GPT-2's byte-level BPE. {@link #NONE} adds nothing, for callers
 * whose text already carries its special tokens (a chat template's output, say) and who would otherwise get a
 * second BOS. Token-id entry points never add anything.
 */
public enum SpecialTokens {
    /** Add the special tokens the tokenizer's post-processor and {@code tokenizer_config.json} define. */
    AS_DEFINED,
    /** Add none: the text is encoded as written (special tokens written in it are still recognised). */
    NONE
}
