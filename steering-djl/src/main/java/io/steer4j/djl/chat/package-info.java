/**
 * Chat templates for instruct models: {@link io.steer4j.djl.chat.ChatTemplate} renders Hugging Face
 * {@code chat_template}s as transformers does, {@link io.steer4j.djl.chat.ChatFormat} tokenizes conversations and
 * locates their turns, {@link io.steer4j.djl.chat.ChatDatasets} turns chat-form contrastive data into vector inputs.
 * Templates render with steer4j's own sandboxed interpreter ({@code io.steer4j.core.chat.template}): no extra dependency.
 */
package io.steer4j.djl.chat;
