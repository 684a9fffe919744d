package io.steer4j.djl.chat;

import io.steer4j.core.chat.ChatMessage;
import io.steer4j.djl.generation.GenerationResult;

/**
 * One chat reply.
 *
 * @param message    the assistant's message (special tokens such as the end-of-turn marker removed)
 * @param prompt     the rendered conversation the model replied to
 * @param generation the generation itself (token ids, finish reason)
 */
public record ChatResult(ChatMessage message, ChatPrompt prompt, GenerationResult generation) {
}
