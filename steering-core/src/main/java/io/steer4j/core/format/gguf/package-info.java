/** llama.cpp control vectors (GGUF), as written by repeng and read by {@code llama-cli --control-vector}. */
package io.steer4j.core.format.gguf;
