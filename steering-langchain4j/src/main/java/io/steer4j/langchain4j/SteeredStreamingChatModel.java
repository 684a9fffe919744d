package io.steer4j.langchain4j;

import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import io.steer4j.djl.generation.CancellationToken;
import io.steer4j.djl.steering.SteeredModel;

import java.util.concurrent.Executor;

/**
 * A LangChain4j {@link StreamingChatModel} over an in-process {@link SteeredModel}: as {@link SteeredChatModel},
 * with the reply's text handed to {@code onPartialResponse} as it is generated. Each call runs on its own thread
 * (or on the executor given to the builder); the handler is called on that thread.
 *
 * <pre>{@code
 * StreamingChatModel chat = SteeredStreamingChatModel.builder(steered).build();
 * chat.chat("How was your day?", new StreamingChatResponseHandler() { ... });
 * }</pre>
 */
public final class SteeredStreamingChatModel implements StreamingChatModel {
    private final ChatRun run;
    private final Executor executor;

    SteeredStreamingChatModel(ChatRun run, Executor executor) {
        this.run = run;
        this.executor = executor;
    }

    /**
     * @param model the steered model
     * @return a builder
     */
    public static SteeredModelBuilder<SteeredStreamingChatModel> builder(SteeredModel model) {
        return new SteeredModelBuilder<>(model, SteeredStreamingChatModel::new);
    }

    @Override
    public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
        executor.execute(() -> {
            ChatResponse response;
            StringBuilder streamed = new StringBuilder();
            try {
                response = run.run(request, (row, id, delta) -> {
                    if (!delta.isEmpty()) {
                        streamed.append(delta);
                        handler.onPartialResponse(delta);
                    }
                }, CancellationToken.NEVER);
                // The token stream holds back text ending in an incomplete character; a reply that ends there has
                // it only in its final text (as U+FFFD): hand it over so the pieces join to the reply.
                String text = response.aiMessage().text();
                if (text != null && text.length() > streamed.length() && text.startsWith(streamed.toString())) {
                    handler.onPartialResponse(text.substring(streamed.length()));
                }
            } catch (RuntimeException | Error e) {
                handler.onError(e);
                return;
            }
            handler.onCompleteResponse(response);
        });
    }

    @Override
    public ChatRequestParameters defaultRequestParameters() {
        return run.defaults();
    }
}
