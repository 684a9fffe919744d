package io.steer4j.djl.model;

/** Which positions a forward call computes logits for; the LM head is the costliest single matrix product. */
public enum LogitsMode {
    /** Logits for every position: {@code [batch, tokens, vocab]}. */
    ALL,
    /** Logits for the last position of each row only: {@code [batch, vocab]}. */
    LAST,
    /** No logits (activation capture only; the final norm and LM head are skipped). */
    NONE
}
