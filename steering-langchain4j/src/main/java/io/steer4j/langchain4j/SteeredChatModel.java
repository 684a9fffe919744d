package io.steer4j.langchain4j;

import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import io.steer4j.djl.chat.ChatFormat;
import io.steer4j.djl.generation.CancellationToken;
import io.steer4j.djl.generation.TokenListener;
import io.steer4j.djl.steering.SteeredModel;

/**
 * A LangChain4j {@link ChatModel} over an in-process {@link SteeredModel}: an application swaps its remote model
 * for a local steered one in one line, and picks the steering per request with
 * {@link SteeringChatRequestParameters}. Conversations are rendered with the model's chat template (or the given
 * {@link ChatFormat}); decoding is greedy unless a temperature above 0 is set; the reply ends at the template's
 * end-of-turn token or at {@code maxOutputTokens}.
 *
 * <pre>{@code
 * ChatModel chat = SteeredChatModel.builder(steered)
 *         .defaultRequestParameters(SteeringChatRequestParameters.builder().plan(SteeringPlan.of(happy, 4.0))
 *                 .maxOutputTokens(80).build())
 *         .build();
 * String answer = chat.chat("How was your day?");
 * }</pre>
 */
public final class SteeredChatModel implements ChatModel {
    private final ChatRun run;

    SteeredChatModel(ChatRun run) {
        this.run = run;
    }

    /**
     * @param model the steered model (thread-safe; with continuous batching, concurrent chats share its batches)
     * @return a builder
     */
    public static SteeredModelBuilder<SteeredChatModel> builder(SteeredModel model) {
        return new SteeredModelBuilder<>(model, SteeredChatModel::new);
    }

    @Override
    public ChatResponse doChat(ChatRequest request) {
        return run.run(request, TokenListener.NONE, CancellationToken.NEVER);
    }

    @Override
    public ChatRequestParameters defaultRequestParameters() {
        return run.defaults();
    }
}
