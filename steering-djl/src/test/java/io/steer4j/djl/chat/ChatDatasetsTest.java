package io.steer4j.djl.chat;

import io.steer4j.core.chat.ChatDataset;
import io.steer4j.core.chat.ChatMessage;
import io.steer4j.core.chat.ChatPersonaDatasetBuilder;
import io.steer4j.core.dataset.ContrastiveDataset;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Chat datasets rendered by the ChatML template (the format written out by hand here). */
class ChatDatasetsTest {
    private static final ChatTemplate CHATML = ChatTemplate.of(io.steer4j.fixtures.ChatCheckpoint.CHATML_TEMPLATE,
            null, "<|im_end|>");
    private static final List<ChatMessage> CONV = List.of(ChatMessage.system("S"), ChatMessage.user("U"),
            ChatMessage.assistant("I think"));
    private static final String HEAD = "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n";

    private static String render(List<ChatMessage> conv, ChatReadPoint point) {
        return ChatDatasets.render(CHATML, conv, point);
    }

    @Test
    void theAssistantTokenReadContinuesTheAssistantMessageWithoutClosingIt() {
        assertEquals(HEAD + "<|im_start|>assistant\nI think", render(CONV, ChatReadPoint.ASSISTANT_TOKEN));
    }

    @Test
    void theAssistantPrefixReadEndsWithTheGenerationPrompt() {
        assertEquals(HEAD + "<|im_start|>assistant\n", render(CONV, ChatReadPoint.ASSISTANT_PREFIX));
        assertEquals(HEAD + "<|im_start|>assistant\n",
                render(List.of(CONV.get(0), CONV.get(1), ChatMessage.assistant("")), ChatReadPoint.ASSISTANT_TOKEN),
                "a blank suffix reads at the prefix");
    }

    @Test
    void theEndOfUserTurnReadStopsAfterTheUsersTurn() {
        assertEquals(HEAD, render(CONV, ChatReadPoint.END_OF_USER_TURN));
    }

    @Test
    void aPersonaDatasetRendersBothSidesOfEveryPair() {
        ChatDataset ds = new ChatPersonaDatasetBuilder().userTemplate("Be {persona}.").personaPair("kind", "cold")
                .suffixes(List.of("Sure", "No")).build();
        ContrastiveDataset rendered = ChatDatasets.render(CHATML, ds, ChatReadPoint.ASSISTANT_TOKEN);
        assertEquals(2, rendered.size());
        String sys = "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n";
        assertEquals(sys + "<|im_start|>user\nBe cold.<|im_end|>\n<|im_start|>assistant\nNo",
                rendered.pairs().get(1).negative());
    }

    @Test
    void theAssistantTokenReadNeedsAnAssistantMessage() {
        assertThrows(ChatTemplateException.class, () -> render(CONV.subList(0, 2), ChatReadPoint.ASSISTANT_TOKEN));
    }

    @Test
    void continuingAMessageTheTemplateStripsKeepsOnlyItsStrippedText() {
        assertEquals("<s>[INST] q [/INST] ans", ChatTemplate.continueFinalMessage("<s>[INST] q [/INST] ans </s>", " ans  "));
        assertThrows(ChatTemplateException.class, () -> ChatTemplate.continueFinalMessage("<s>x</s>", "missing"));
    }
}
