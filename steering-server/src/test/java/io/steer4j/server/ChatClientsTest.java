package io.steer4j.server;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.openai.OpenAiChatModel;
import io.steer4j.core.chat.ChatMessage;
import io.steer4j.core.format.vectorfile.VectorFiles;
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
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * {@code /v1/chat/completions} through real clients (the openai-java SDK, whole and streamed, and langchain4j's own
 * {@code OpenAiChatModel}) on a tiny ChatML checkpoint whose template is in its folder: the reply equals
 * {@link SteeredModel#chat} for the same conversation, plan and seed.
 */
class ChatClientsTest {
    private static final List<ChatMessage> CONVERSATION = List.of(ChatMessage.system("Be brief."),
            ChatMessage.user("Tell me about the cat."));

    @TempDir
    static Path tmp;
    private static LanguageModel model;
    private static SteeredModel library;
    private static SteerServer server;
    private static OpenAIClient client;
    private static Path vectors;

    @BeforeAll
    static void start() throws Exception {
        model = LanguageModel.load(ChatCheckpoint.write(tmp.resolve("chat-tiny")));
        vectors = ServedModels.writeVectors(tmp.resolve("vectors"), model, "kind");
        library = SteeredModel.of(model, SteeringPlan.NONE);
        server = SteerServer.builder(model).port(0).vectors(vectors).apiKey("sk-test").build().start();
        client = OpenAIOkHttpClient.builder().baseUrl(server.baseUrl().toString()).apiKey("sk-test").build();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (model != null) {
            model.close();
        }
    }

    private static SteeringPlan kind(double strength) throws Exception {
        return SteeringPlan.of(VectorFiles.read(vectors.resolve("kind.safetensors")), strength);
    }

    private static ChatCompletionCreateParams.Builder conversation(String modelId) {
        return ChatCompletionCreateParams.builder().model(modelId).addSystemMessage("Be brief.")
                .addUserMessage("Tell me about the cat.");
    }

    @Test
    void aWholeChatReplyEqualsTheLibrarysChat() throws Exception {
        ChatCompletion c = client.chat().completions().create(conversation("chat-tiny+kind@6")
                .maxCompletionTokens(20).temperature(0.0).build());
        ChatResult expected = library.chat(CONVERSATION, GenerationConfig.greedy(20), kind(6));
        ChatResult plain = library.chat(CONVERSATION, GenerationConfig.greedy(20), SteeringPlan.NONE);
        assertNotEquals(plain.message().content(), expected.message().content());
        assertEquals(expected.message().content(), c.choices().get(0).message().content().orElseThrow());
        assertEquals(expected.prompt().length(), c.usage().orElseThrow().promptTokens());
        assertEquals(expected.generation().tokens().length, c.usage().orElseThrow().completionTokens());
    }

    @Test
    void aStreamedChatReplySteeredOnlyInTheReplyEqualsTheLibrarysChat() throws Exception {
        ChatCompletionCreateParams params = conversation("chat-tiny").maxCompletionTokens(20).temperature(1.0)
                .seed(11).streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build())
                .putAdditionalBodyProperty("steering", JsonValue.from(Map.of("vectors",
                        List.of(Map.of("name", "kind", "strength", 5.0)), "scope", "generated")))
                .build();
        StringBuilder text = new StringBuilder();
        long[] usage = {-1};
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
            stream.stream().forEach(chunk -> {
                chunk.choices().forEach(ch -> ch.delta().content().ifPresent(text::append));
                chunk.usage().ifPresent(u -> usage[0] = u.completionTokens());
            });
        }
        ChatResult expected = library.chat(CONVERSATION, GenerationConfig.builder().maxNewTokens(20).temperature(1.0)
                .seed(11).build(), kind(5).withScope(TokenScope.generatedOnly()));
        assertEquals(expected.message().content(), text.toString());
        assertEquals(expected.generation().tokens().length, usage[0]);
    }

    @Test
    void langchain4jsOpenAiChatModelGetsTheLibrarysReply() throws Exception {
        OpenAiChatModel lc = OpenAiChatModel.builder().baseUrl(server.baseUrl().toString()).apiKey("sk-test")
                .modelName("chat-tiny+kind@6").temperature(0.0).maxTokens(20).build();
        ChatResponse r = lc.chat(dev.langchain4j.data.message.SystemMessage.from("Be brief."),
                dev.langchain4j.data.message.UserMessage.from("Tell me about the cat."));
        ChatResult expected = library.chat(CONVERSATION, GenerationConfig.greedy(20), kind(6));
        assertEquals(expected.message().content(), r.aiMessage().text());
        assertEquals(expected.generation().tokens().length, r.tokenUsage().outputTokenCount());
    }

    @Test
    void aRequestWithoutTheApiKeyIsRefusedWith401() throws Exception {
        java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(server.baseUrl() + "/models"))
                        .header("Authorization", "Bearer wrong").build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(401, r.statusCode());
        assertEquals("invalid_api_key", new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body())
                .at("/error/code").asText());
    }

    @Test
    void langchain4jsOpenAiStreamingChatModelStreamsTheLibrarysReply() throws Exception {
        dev.langchain4j.model.openai.OpenAiStreamingChatModel lc = dev.langchain4j.model.openai
                .OpenAiStreamingChatModel.builder().baseUrl(server.baseUrl().toString()).apiKey("sk-test")
                .modelName("chat-tiny+kind@6").temperature(0.0).maxTokens(20).build();
        StringBuilder pieces = new StringBuilder();
        java.util.concurrent.CompletableFuture<ChatResponse> done = new java.util.concurrent.CompletableFuture<>();
        lc.chat(List.of(dev.langchain4j.data.message.SystemMessage.from("Be brief."),
                dev.langchain4j.data.message.UserMessage.from("Tell me about the cat.")),
                new dev.langchain4j.model.chat.response.StreamingChatResponseHandler() {
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
        ChatResponse r = done.get(60, java.util.concurrent.TimeUnit.SECONDS);
        ChatResult expected = library.chat(CONVERSATION, GenerationConfig.greedy(20), kind(6));
        assertEquals(expected.message().content(), pieces.toString());
        assertEquals(expected.message().content(), r.aiMessage().text());
    }
}
