/**
 * LangChain4j chat models over an in-process steered model: {@link io.steer4j.langchain4j.SteeredChatModel}
 * ({@code ChatModel}) and {@link io.steer4j.langchain4j.SteeredStreamingChatModel} ({@code StreamingChatModel}),
 * with the steering chosen per request through {@link io.steer4j.langchain4j.SteeringChatRequestParameters}.
 * Depends on langchain4j-core only (no HTTP client, no provider module).
 */
package io.steer4j.langchain4j;
