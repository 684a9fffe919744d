/**
 * Resolution of model references to local Hugging Face style model folders.
 *
 * <p>{@link io.steer4j.djl.hub.ModelResolver} turns a local folder path or a Hugging Face repo id
 * ({@code gpt2}, {@code openai-community/gpt2@main}) into a folder holding {@code config.json},
 * safetensors weights and a tokenizer, reading the standard Hugging Face hub cache and downloading
 * into it when needed. Failures are reported as {@link io.steer4j.djl.hub.ModelResolutionException}.
 *
 * <pre>{@code
 * Path folder = ModelResolver.builder().build().resolve("openai-community/gpt2");
 * }</pre>
 */
package io.steer4j.djl.hub;
