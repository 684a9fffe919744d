/**
 * Conversations as data: {@link io.steer4j.core.chat.ChatMessage} and the chat forms of contrastive datasets.
 * Rendering a conversation into a model's prompt format lives in {@code io.steer4j.djl.chat}.
 */
package io.steer4j.core.chat;
