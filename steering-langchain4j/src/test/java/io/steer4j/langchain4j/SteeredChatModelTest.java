package io.steer4j.langchain4j;

import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.output.FinishReason;
import io.steer4j.core.chat.ChatMessage;
import io.steer4j.core.plan.HookPoint;
import io.steer4j.core.plan.Intervention;
import io.steer4j.core.plan.InterventionOperator;
import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.core.plan.TokenScope;
import io.steer4j.djl.chat.ChatResult;
import io.steer4j.djl.generation.GenerationConfig;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.steering.SteeredModel;
import io.steer4j.fixtures.ChatCheckpoint;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The LangChain4j models, used through LangChain4j's own {@link ChatModel} and {@link StreamingChatModel}
 * interfaces on a tiny ChatML checkpoint: their replies are {@link SteeredModel#chat}'s for the same conversation
 * and plan, the plan chosen per request or by default.
 */
class SteeredChatModelTest {
    private static final List<ChatMessage> CONVERSATION = List.of(ChatMessage.system("Be brief."),
            ChatMessage.user("Tell me about the cat."));
    private static final List<dev.langchain4j.data.message.ChatMessage> LC_CONVERSATION = List.of(
            SystemMessage.from("Be brief."), UserMessage.from("Tell me about the cat."));

    @TempDir
    static Path tmp;
    private static LanguageModel model;
    private static SteeredModel steered;
    private static SteeringPlan kind;

    @BeforeAll
    static void load() throws Exception {
        model = LanguageModel.load(ChatCheckpoint.write(tmp.resolve("chat-tiny")));
        steered = SteeredModel.builder(model).continuousBatching(4).build();
        SplittableRandom r = new SplittableRandom(5);
        float[] d = new float[model.hiddenSize()];
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) r.nextGaussian();
        }
        kind = SteeringPlan.builder().add(new Intervention(1, HookPoint.RESID_POST, d, 6.0, TokenScope.all(),
                InterventionOperator.ADD, false)).build();
    }

    @AfterAll
    static void close() {
        steered.close();
        model.close();
    }

    private static String expected(SteeringPlan plan, int maxTokens) {
        ChatResult r = steered.chat(CONVERSATION, GenerationConfig.greedy(maxTokens), plan);
        return r.message().content();
    }

    @Test
    void aRequestsOwnPlanSteersTheReplyAsTheLibraryDoes() {
        ChatModel chat = SteeredChatModel.builder(steered).build();
        ChatResponse r = chat.chat(ChatRequest.builder().messages(LC_CONVERSATION)
                .parameters(SteeringChatRequestParameters.builder().plan(kind).maxOutputTokens(20).build()).build());
        assertNotEquals(expected(SteeringPlan.NONE, 20), expected(kind, 20));
        assertEquals(expected(kind, 20), r.aiMessage().text());
        ChatResult lib = steered.chat(CONVERSATION, GenerationConfig.greedy(20), kind);
        assertEquals(lib.generation().tokens().length, r.tokenUsage().outputTokenCount());
        assertEquals(lib.prompt().length(), r.tokenUsage().inputTokenCount());
    }

    @Test
    void theDefaultPlanAppliesWhenARequestSetsOnlyLangChain4jsParameters() {
        ChatModel chat = SteeredChatModel.builder(steered)
                .defaultRequestParameters(SteeringChatRequestParameters.builder().plan(kind).build()).build();
        ChatResponse r = chat.chat(ChatRequest.builder().messages(LC_CONVERSATION)
                .parameters(ChatRequestParameters.builder().maxOutputTokens(12).build()).build());
        assertEquals(expected(kind, 12), r.aiMessage().text());
        assertEquals(FinishReason.LENGTH, r.finishReason());
    }

    @Test
    void aRequestCanTurnTheDefaultPlanOff() {
        ChatModel chat = SteeredChatModel.builder(steered)
                .defaultRequestParameters(SteeringChatRequestParameters.builder().plan(kind).build()).build();
        ChatResponse r = chat.chat(ChatRequest.builder().messages(LC_CONVERSATION).parameters(
                SteeringChatRequestParameters.builder().plan(SteeringPlan.NONE).maxOutputTokens(12).build()).build());
        assertEquals(expected(SteeringPlan.NONE, 12), r.aiMessage().text());
    }

    @Test
    void theStreamingModelsPiecesJoinToTheLibrarysReply() throws Exception {
        StreamingChatModel chat = SteeredStreamingChatModel.builder(steered).build();
        StringBuilder pieces = new StringBuilder();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        chat.chat(ChatRequest.builder().messages(LC_CONVERSATION)
                .parameters(SteeringChatRequestParameters.builder().plan(kind).maxOutputTokens(20).build()).build(),
                new StreamingChatResponseHandler() {
                    @Override
                    public void onPartialResponse(String partial) {
                        pieces.append(partial);
                    }

                    @Override
                    public void onCompleteResponse(ChatResponse response) {
                        done.complete(response);
                    }

                    @Override
                    public void onError(Throwable error) {
                        done.completeExceptionally(error);
                    }
                });
        ChatResponse r = done.get(60, TimeUnit.SECONDS);
        assertEquals(expected(kind, 20), r.aiMessage().text());
        assertEquals(r.aiMessage().text(), pieces.toString());
    }

    @Test
    void toolsAreRefusedAsUnsupported() {
        ChatModel chat = SteeredChatModel.builder(steered).build();
        assertThrows(UnsupportedFeatureException.class, () -> chat.chat(ChatRequest.builder()
                .messages(LC_CONVERSATION).toolSpecifications(ToolSpecification.builder().name("weather").build())
                .build()));
    }
}
