/**
 * llama.cpp's GGUF model files as steer4j input: a GGUF file is turned into the Hugging Face folder the model
 * loader reads ({@link io.steer4j.djl.gguf.GgufCheckpoint}), with its tokenizer built as transformers builds it.
 */
package io.steer4j.djl.gguf;
