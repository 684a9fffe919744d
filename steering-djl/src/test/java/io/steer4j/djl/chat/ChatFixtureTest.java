package io.steer4j.djl.chat;

import com.fasterxml.jackson.databind.JsonNode;
import io.steer4j.core.chat.ChatMessage;
import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.core.plan.TokenScope;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.core.vector.VectorMetadata;
import io.steer4j.djl.generation.FinishReason;
import io.steer4j.djl.generation.GenerationConfig;
import io.steer4j.djl.generation.GenerationResult;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.steering.SteeredModel;
import io.steer4j.fixtures.ChatCheckpoint;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Chat prompts, scopes and generation on the tiny ChatML fixture (ChatCheckpoint). */
class ChatFixtureTest {
    private static LanguageModel model;
    private static SteeredModel steered;
    private static JsonNode goldens;

    @BeforeAll
    static void load() throws Exception {
        Path dir = ChatCheckpoint.write(Files.createTempDirectory("steer4j-chat").resolve("gpt2-chat-tiny"));
        model = LanguageModel.load(dir);
        steered = SteeredModel.of(model, SteeringPlan.NONE);
        goldens = ChatTemplateGoldenTest.goldens();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void renderedIdsEqualWhatPythonTokenizesTheGoldenRenderingTo() {
        JsonNode cases = goldens.get("fixture").get("cases");
        assertTrue(cases.size() >= 3);
        for (JsonNode c : cases) {
            List<ChatMessage> conv = ChatTemplateGoldenTest.conversation(goldens, c.get("conversation").asText());
            ChatEnding ending = c.get("add_generation_prompt").asBoolean() ? ChatEnding.GENERATION_PROMPT : ChatEnding.NONE;
            ChatPrompt p = steered.chatFormat().prompt(conv, ending);
            assertEquals(c.get("text").asText(), p.text());
            long[] expected = new long[c.get("ids").size()];
            for (int i = 0; i < expected.length; i++) {
                expected[i] = c.get("ids").get(i).asLong();
            }
            assertArrayEquals(expected, p.ids(), c.get("conversation").asText());
        }
    }

    @Test
    void specialTokensAppearOnceEachAsTheTemplateWritesThem() {
        ChatPrompt p = steered.chatFormat().prompt(List.of(ChatMessage.user("Hello!")));
        long starts = java.util.Arrays.stream(p.ids()).filter(id -> id == ChatCheckpoint.IM_START_ID).count();
        assertEquals(3, starts, "default system turn, user turn, generation prompt");
        assertEquals(ChatCheckpoint.IM_START_ID, p.ids()[0], "no BOS or other token before the template's first");
    }

    @Test
    void endOfTurnTokensComeFromTheGenerationConfigAndTheTemplate() {
        assertEquals(Set.of((long) ChatCheckpoint.IM_END_ID, (long) ChatCheckpoint.ENDOFTEXT_ID),
                steered.chatFormat().endOfTurnIds());
    }

    @Test
    void assistantScopeCoversExactlyTheAssistantTurnsAndTheReply() {
        List<ChatMessage> conv = List.of(ChatMessage.system("Be kind."), ChatMessage.user("Hi"),
                ChatMessage.assistant("Hello, how can I help?"), ChatMessage.user("My order is late."));
        ChatPrompt p = steered.chatFormat().prompt(conv);
        TokenScope scope = p.assistantScope();
        // Independently: split the ids at <|im_start|>; a segment is the assistant's when it decodes to an
        // assistant header; every generated position (>= length) belongs to the reply.
        long[] ids = p.ids();
        boolean[] expected = new boolean[ids.length + 8];
        int start = 0;
        for (int i = 1; i <= ids.length; i++) {
            if (i == ids.length || ids[i] == ChatCheckpoint.IM_START_ID) {
                String segment = model.tokenizer().decode(java.util.Arrays.copyOfRange(ids, start, i));
                boolean assistant = segment.startsWith("<|im_start|>assistant\n");
                for (int k = start; k < i; k++) {
                    expected[k] = assistant;
                }
                start = i;
            }
        }
        for (int k = ids.length; k < expected.length; k++) {
            expected[k] = true;
        }
        int covered = 0;
        for (int k = 0; k < expected.length; k++) {
            assertEquals(expected[k], scope.covers(k, ids.length), "position " + k);
            covered += expected[k] && k < ids.length ? 1 : 0;
        }
        assertTrue(covered > 10, "the history turn and the generation prompt are covered: " + covered);
    }

    @Test
    void endOfUserTurnAndAssistantPrefixAreTheLastTokensOfThoseParts() {
        ChatPrompt p = steered.chatFormat().prompt(List.of(ChatMessage.user("Hi")));
        long[] ids = p.ids();
        assertEquals(ids.length - 1, p.lastTokenOfAssistantPrefix());
        int end = p.endOfLastUserTurn();
        // the user turn ends with <|im_end|> and a newline; the next token opens the assistant header
        assertEquals(ChatCheckpoint.IM_END_ID, ids[end - 1]);
        assertEquals(ChatCheckpoint.IM_START_ID, ids[end + 1]);
    }

    @Test
    void chatWithAnEmptyPlanEqualsPlainGenerationOnTheRenderedText() {
        List<ChatMessage> conv = List.of(ChatMessage.system("Be kind."), ChatMessage.user("My order is late."));
        GenerationConfig config = GenerationConfig.greedy(12);
        ChatResult chat = steered.chat(conv, config, SteeringPlan.NONE);
        GenerationConfig withStops = config.toBuilder().stopTokenIds(steered.chatFormat().endOfTurnIds()).build();
        GenerationResult plain = steered.generate(steered.chatFormat().render(conv, ChatEnding.GENERATION_PROMPT),
                withStops, SteeringPlan.NONE);
        assertArrayEquals(plain.promptTokens(), chat.generation().promptTokens());
        assertArrayEquals(plain.tokens(), chat.generation().tokens());
        assertEquals(ChatMessage.assistant(plain.text()), chat.message());
    }

    @Test
    void chatStopsAtTheEndOfTurnTokenAndLeavesItOutOfTheMessage() {
        // Push the last layer's residual stream along <|im_end|>'s (tied) embedding from the second reply token
        // on, so the model ends its turn right after one token.
        float[] imEnd = ChatCheckpoint.embeddingRow(ChatCheckpoint.IM_END_ID);
        SteeringVector v = new SteeringVector(Map.of(ChatCheckpoint.SHAPE.nLayer() - 1, imEnd),
                VectorMetadata.builder().modelId("gpt2-chat-tiny").hiddenSize(imEnd.length).build());
        List<ChatMessage> conv = List.of(ChatMessage.user("Hi"));
        int promptLength = steered.chatFormat().prompt(conv).length();
        SteeringPlan endTurn = SteeringPlan.of(v, 40.0, TokenScope.from(promptLength));
        List<Long> streamed = new ArrayList<>();
        ChatResult r = steered.chat(conv, GenerationConfig.greedy(10), endTurn,
                (row, id, delta) -> streamed.add(id), io.steer4j.djl.generation.CancellationToken.NEVER);
        long[] tokens = r.generation().tokens();
        assertEquals(2, tokens.length, java.util.Arrays.toString(tokens));
        assertEquals(ChatCheckpoint.IM_END_ID, tokens[1]);
        // the fixture's generation_config.json lists <|im_end|> among its eos ids, so the model's own stop ids end the turn
        assertEquals(FinishReason.EOS, r.generation().finishReason());
        assertEquals(List.of(tokens[0], tokens[1]), streamed);
        assertEquals(model.tokenizer().decode(new long[] {tokens[0]}), r.message().content());
    }
}
