package io.steer4j.examples;

import io.steer4j.core.chat.ChatMessage;
import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.djl.chat.ChatFormat;
import io.steer4j.djl.generation.GenerationConfig;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.steering.SteeredModel;
import io.steer4j.fixtures.ChatCheckpoint;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChatSteeringTest {
    @Test
    void answersThePlainReplyUnsteeredAndAnotherWithTheEmpathyVector() throws Exception {
        try (LanguageModel model = LanguageModel.load(
                ChatCheckpoint.write(Files.createTempDirectory("steer4j-chat").resolve("gpt2-chat-tiny")))) {
            ChatFormat format = ChatFormat.of(model);
            ChatSteering.Result r = ChatSteering.run(model, format, 8.0, 12);
            assertTrue(r.prompt().startsWith("<|im_start|>system\n" + ChatSteering.SYSTEM + "<|im_end|>\n"), r.prompt());
            assertTrue(r.prompt().endsWith("<|im_start|>assistant\n"), r.prompt());
            String plain = SteeredModel.of(model, SteeringPlan.NONE).chat(List.of(ChatMessage.system(ChatSteering.SYSTEM),
                    ChatMessage.user(ChatSteering.CUSTOMER)),
                    GenerationConfig.builder().maxNewTokens(12).repetitionPenalty(1.2).build(), SteeringPlan.NONE)
                    .message().content();
            assertEquals(plain, r.unsteered());
            assertNotEquals(r.unsteered(), r.steered());
        }
    }
}
