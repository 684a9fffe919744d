package io.steer4j.djl.generation;

/**
 * Receives tokens as they are generated (streaming). Called on the generating thread, once per new token of each
 * row; {@code textDelta} is the text the token adds (empty while a multi-byte character is incomplete).
 *
 * <pre>{@code
 * TokenListener print = (row, id, delta) -> System.out.print(delta);
 * }</pre>
 */
@FunctionalInterface
public interface TokenListener {
    /** A listener that ignores everything. */
    TokenListener NONE = (row, tokenId, textDelta) -> { };

    /**
     * Called once per generated token.
     *
     * @param row       the batch row the token belongs to (0 for a single prompt)
     * @param tokenId   the token's id
     * @param textDelta the text it adds, possibly empty
     */
    void onToken(int row, long tokenId, String textDelta);
}
