/**
 * GGUF, llama.cpp's file format: control vectors (as written by repeng and read by
 * {@code llama-cli --control-vector}) and model files ({@link io.steer4j.core.format.gguf.GgufModelFile}), with
 * their F32, F16, BF16 and Q8_0 tensors ({@link io.steer4j.core.format.gguf.GgmlType}).
 */
package io.steer4j.core.format.gguf;
