package io.steer4j.cli;

import io.steer4j.core.chat.ChatMessage;
import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.djl.generation.GenerationConfig;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.steering.SteeredModel;
import io.steer4j.examples.TinyModel;
import io.steer4j.fixtures.ChatCheckpoint;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code steer4j generate --chat} on the tiny ChatML fixture. */
class GenerateChatTest {
    @TempDir
    static Path shared;
    private static Path chatModel;

    @BeforeAll
    static void write() throws Exception {
        chatModel = ChatCheckpoint.write(shared.resolve("gpt2-chat-tiny"));
    }

    @Test
    void printsTheReplyThatSteeredModelChatGives() {
        Steer4jCliTest.Run r = Steer4jCliTest.run("generate", "--model", chatModel.toString(), "--chat",
                "--system", "Be kind.", "--max-tokens", "8", "My order is late.");
        assertEquals(0, r.code(), r.toString());
        String expected;
        try (LanguageModel m = LanguageModel.load(chatModel)) {
            expected = SteeredModel.of(m, SteeringPlan.NONE).chat(List.of(ChatMessage.system("Be kind."),
                    ChatMessage.user("My order is late.")), GenerationConfig.greedy(8), SteeringPlan.NONE)
                    .message().content();
        }
        assertEquals(expected + System.lineSeparator(), r.out());
    }

    @Test
    void aBaseModelWithoutTemplateIsAnErrorSuggestingOne() {
        Steer4jCliTest.Run r = Steer4jCliTest.run("generate", "--model", TinyModel.dir().toString(), "--chat", "Hi");
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().contains("no chat template"), r.toString());
    }

    @Test
    void aTemplateFileServesABaseModel() throws Exception {
        Path t = shared.resolve("plain.jinja");
        Files.writeString(t, "{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}"
                + "{% if add_generation_prompt %}assistant:{% endif %}");
        Steer4jCliTest.Run r = Steer4jCliTest.run("generate", "--model", TinyModel.dir().toString(),
                "--chat-template", t.toString(), "--max-tokens", "4", "Hi");
        assertEquals(0, r.code(), r.toString());
        assertTrue(!r.out().isBlank(), r.toString());
    }

    @Test
    void systemWithoutChatIsAUsageError() {
        Steer4jCliTest.Run r = Steer4jCliTest.run("generate", "--model", chatModel.toString(), "--system", "x", "Hi");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("--system needs --chat"), r.toString());
    }
}
