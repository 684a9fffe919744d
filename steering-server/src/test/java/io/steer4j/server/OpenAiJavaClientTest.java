package io.steer4j.server;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import io.steer4j.core.format.vectorfile.VectorFiles;
import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.core.plan.TokenScope;
import io.steer4j.djl.generation.GenerationConfig;
import io.steer4j.djl.generation.GenerationResult;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.steering.SteeredModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The official {@code com.openai:openai-java} SDK against the server on the real stories260k: completions whole and
 * streamed, steered by a preset model id or by the {@code steering} extension field, give exactly the text
 * {@link SteeredModel} gives for the same prompt, vector, strength and seed.
 */
class OpenAiJavaClientTest {
    private static final String PROMPT = "Once upon a time, there was a little girl named Lily. One day, she";

    @TempDir
    static Path tmp;
    private static LanguageModel model;
    private static SteeredModel library;
    private static SteerServer server;
    private static OpenAIClient client;
    private static Path vectors;

    @BeforeAll
    static void start() throws Exception {
        model = LanguageModel.load(ServedModels.stories260k());
        vectors = ServedModels.writeVectors(tmp.resolve("vectors"), model, "happy", "calm");
        library = SteeredModel.of(model, SteeringPlan.NONE);
        server = SteerServer.builder(model).port(0).vectors(vectors).build().start();
        client = OpenAIOkHttpClient.builder().baseUrl(server.baseUrl().toString()).apiKey("unused").build();
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

    private static SteeringPlan vector(String name, double strength) throws Exception {
        return SteeringPlan.of(VectorFiles.read(vectors.resolve(name + ".safetensors")), strength);
    }

    @Test
    void aPresetModelIdSteersExactlyAsTheLibraryDoes() throws Exception {
        Completion c = client.completions().create(CompletionCreateParams.builder().model("stories260k+happy@4")
                .prompt(PROMPT).maxTokens(24).temperature(0.0).build());
        GenerationResult expected = library.generate(PROMPT, GenerationConfig.greedy(24), vector("happy", 4));
        GenerationResult plain = library.generate(PROMPT, GenerationConfig.greedy(24), SteeringPlan.NONE);
        assertNotEquals(plain.text(), expected.text(), "the vector must change the text for this test to mean much");
        assertEquals(expected.text(), c.choices().get(0).text());
        assertEquals("stories260k+happy@4", c.model());
        assertEquals(expected.tokens().length, c.usage().orElseThrow().completionTokens());
        assertEquals(expected.promptTokens().length, c.usage().orElseThrow().promptTokens());
        assertEquals("length", c.choices().get(0).finishReason().toString());
    }

    @Test
    void aStreamedSampledCompletionWithTheSteeringFieldEqualsTheLibrarysTokenForToken() throws Exception {
        CompletionCreateParams params = CompletionCreateParams.builder().model("stories260k").prompt(PROMPT)
                .maxTokens(30).temperature(0.8).topP(0.95).seed(7)
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build())
                .putAdditionalBodyProperty("steering", JsonValue.from(Map.of("vectors",
                        List.of(Map.of("name", "calm", "strength", -3.0, "layers", List.of(2, 3))),
                        "scope", "generated")))
                .build();
        StringBuilder text = new StringBuilder();
        long[] usage = {-1};
        String[] finish = {null};
        try (StreamResponse<Completion> stream = client.completions().createStreaming(params)) {
            stream.stream().forEach(chunk -> {
                chunk.choices().forEach(ch -> {
                    text.append(ch.text());
                    ch._finishReason().asKnown().ifPresent(f -> finish[0] = f.toString());
                });
                chunk.usage().ifPresent(u -> usage[0] = u.completionTokens());
            });
        }
        SteeringPlan plan = SteeringPlan.atLayers(VectorFiles.read(vectors.resolve("calm.safetensors")), -3.0, 2, 3)
                .withScope(TokenScope.generatedOnly());
        GenerationResult expected = library.generate(PROMPT, GenerationConfig.builder().maxNewTokens(30)
                .temperature(0.8).topP(0.95).seed(7).build(), plan);
        assertEquals(expected.text(), text.toString());
        assertEquals(expected.tokens().length, usage[0]);
        assertEquals(expected.finishReason().name().equals("LENGTH") ? "length" : "stop", finish[0]);
    }

    @Test
    void aStopSequenceEndsTheTextBeforeIt() {
        String plain = library.generate(PROMPT, GenerationConfig.greedy(24), SteeringPlan.NONE).text();
        String stop = plain.substring(plain.length() / 2, plain.length() / 2 + 3);
        Completion c = client.completions().create(CompletionCreateParams.builder().model("stories260k")
                .prompt(PROMPT).maxTokens(24).temperature(0.0).stop(stop).build());
        assertEquals(plain.substring(0, plain.indexOf(stop)), c.choices().get(0).text());
        assertEquals("stop", c.choices().get(0).finishReason().toString());
    }

    @Test
    void theModelListOffersTheBaseAndAPresetPerVector() {
        List<String> ids = client.models().list().data().stream().map(m -> m.id()).toList();
        assertEquals(List.of("stories260k", "stories260k+calm", "stories260k+happy"), ids);
    }

    @Test
    void anUnknownVectorInTheModelIdIsModelNotFound() {
        NotFoundException e = assertThrows(NotFoundException.class, () -> client.completions().create(
                CompletionCreateParams.builder().model("stories260k+angry@2").prompt(PROMPT).maxTokens(4).build()));
        assertTrue(e.getMessage().contains("no vector named 'angry'"), e.getMessage());
    }

    @Test
    void moreThanOneChoiceIsRefusedClearly() {
        BadRequestException e = assertThrows(BadRequestException.class, () -> client.completions().create(
                CompletionCreateParams.builder().model("stories260k").prompt(PROMPT).maxTokens(4).n(2).build()));
        assertTrue(e.getMessage().contains("n must be 1"), e.getMessage());
    }

    @Test
    void chatOnAModelWithoutATemplateIsABadRequestNamingTheFix() {
        BadRequestException e = assertThrows(BadRequestException.class, () -> client.chat().completions().create(
                com.openai.models.chat.completions.ChatCompletionCreateParams.builder().model("stories260k")
                        .addUserMessage("Hi").build()));
        assertTrue(e.getMessage().contains("--chat-template"), e.getMessage());
    }

    @Test
    void chatWithATemplateGivenAtStartEqualsTheLibrarysChatInThatFormat() throws Exception {
        Path template = tmp.resolve("story.jinja");
        java.nio.file.Files.writeString(template, "{{ bos_token }}{% for m in messages %}{{ m['content'] }}"
                + "{% endfor %}");
        try (SteerServer chatServer = SteerServer.builder(model).port(0).vectors(vectors).chatTemplate(template)
                .build().start()) {
            OpenAIClient c = OpenAIOkHttpClient.builder().baseUrl(chatServer.baseUrl().toString()).apiKey("unused")
                    .build();
            String reply = c.chat().completions().create(com.openai.models.chat.completions.ChatCompletionCreateParams
                    .builder().model("stories260k+happy@3").addUserMessage("Lily was sad because")
                    .maxCompletionTokens(16).temperature(0.0).build()).choices().get(0).message().content().orElseThrow();
            io.steer4j.djl.chat.ChatFormat format = io.steer4j.djl.chat.ChatFormat.of(model,
                    io.steer4j.djl.chat.ChatTemplate.fromFile(template, model.folder()));
            String expected = library.chat(format, List.of(io.steer4j.core.chat.ChatMessage.user("Lily was sad because")),
                    GenerationConfig.greedy(16), vector("happy", 3), io.steer4j.djl.generation.TokenListener.NONE,
                    io.steer4j.djl.generation.CancellationToken.NEVER).message().content();
            assertEquals(expected, reply);
            assertTrue(!reply.isEmpty());
        }
    }
}
