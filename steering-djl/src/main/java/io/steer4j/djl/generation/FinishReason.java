package io.steer4j.djl.generation;

/** Why a row stopped generating. */
public enum FinishReason {
    /** It emitted the end-of-sequence token. */
    EOS,
    /** It emitted one of the configured stop tokens. */
    STOP_TOKEN,
    /** It reached {@link GenerationConfig#maxNewTokens()}. */
    LENGTH,
    /** It reached the model's context length. */
    CONTEXT_FULL
}
