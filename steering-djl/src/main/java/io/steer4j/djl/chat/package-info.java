/**
 * Chat templates for instruct models: {@link io.steer4j.djl.chat.ChatTemplate} renders Hugging Face
 * {@code chat_template}s as transformers does, {@link io.steer4j.djl.chat.ChatFormat} tokenizes conversations and
 * locates their turns, {@link io.steer4j.djl.chat.ChatDatasets} turns chat-form contrastive data into vector inputs.
 * Needs the optional dependency {@code com.hubspot.jinjava:jinjava}.
 */
package io.steer4j.djl.chat;
