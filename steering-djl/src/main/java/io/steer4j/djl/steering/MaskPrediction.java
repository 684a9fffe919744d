package io.steer4j.djl.steering;

/**
 * One candidate for a {@code [MASK]} slot, as Hugging Face's fill-mask pipeline reports it.
 *
 * @param token       the token as text ({@code paris}; word pieces keep their {@code ##})
 * @param tokenId     its id
 * @param probability softmax probability over the vocabulary at the mask
 */
public record MaskPrediction(String token, long tokenId, double probability) {
}
