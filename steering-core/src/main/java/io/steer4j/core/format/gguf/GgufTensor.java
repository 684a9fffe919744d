package io.steer4j.core.format.gguf;

/**
 * A floating-point tensor read from a GGUF file, widened to float32.
 *
 * @param name   tensor name, e.g. {@code direction.6}
 * @param dims   dimensions in ggml order ({@code dims[0]} varies fastest)
 * @param values the elements
 */
record GgufTensor(String name, long[] dims, float[] values) {
}
