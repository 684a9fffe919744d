package io.steer4j.core.chat;

import io.steer4j.core.dataset.MultipleChoiceItem;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChatPersonaDatasetBuilderTest {
    @Test
    void expandsSuffixesOuterAndPersonaPairsInnerAsRepengDoes() {
        ChatDataset ds = new ChatPersonaDatasetBuilder().name("mood")
                .systemTemplate("You are a support agent.")
                .userTemplate("Act as if you're extremely {persona}.")
                .personaPair("happy", "sad").personaPair("calm", "angry")
                .suffixes(List.of("I", "Well"))
                .build();
        assertEquals(4, ds.size());
        assertEquals("mood", ds.name());
        ChatPair second = ds.pairs().get(1);
        assertEquals(List.of(ChatMessage.system("You are a support agent."),
                ChatMessage.user("Act as if you're extremely calm."), ChatMessage.assistant("I")), second.positive());
        assertEquals(List.of(ChatMessage.system("You are a support agent."),
                ChatMessage.user("Act as if you're extremely angry."), ChatMessage.assistant("I")), second.negative());
        assertEquals(ChatMessage.assistant("Well"), ds.pairs().get(2).positive().get(2));
    }

    @Test
    void thePersonaMayGoIntoTheSystemPrompt() {
        ChatDataset ds = new ChatPersonaDatasetBuilder().systemTemplate("You are {persona}.").userTemplate("Hi")
                .personaPair("kind", "rude").suffixes(List.of("")).build();
        assertEquals(ChatMessage.system("You are rude."), ds.pairs().get(0).negative().get(0));
    }

    @Test
    void refusesARecipeWithoutPersonaPlaceholderPairsOrSuffixes() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new ChatPersonaDatasetBuilder()
                .userTemplate("Hi").personaPair("a", "b").suffixes(List.of("x")).build())
                .getMessage().contains("{persona}"));
        assertThrows(IllegalArgumentException.class, () -> new ChatPersonaDatasetBuilder()
                .userTemplate("{persona}").suffixes(List.of("x")).build());
        assertThrows(IllegalArgumentException.class, () -> new ChatPersonaDatasetBuilder()
                .userTemplate("{persona}").personaPair("a", "b").build());
    }

    @Test
    void anAbItemBecomesAUserQuestionAndAnAssistantAnswerCutAfterItsLetter() {
        MultipleChoiceItem item = new MultipleChoiceItem("Help?\n\nChoices:\n (A) Yes\n (B) No", " (A)", " (B)");
        ChatPair p = ChatPair.fromMultipleChoice(item, "Be honest.");
        assertEquals(List.of(ChatMessage.system("Be honest."), ChatMessage.user(item.question()),
                ChatMessage.assistant("(A")), p.positive());
        assertEquals(ChatMessage.assistant("(B"), p.negative().get(2));
        assertEquals(2, ChatPair.fromMultipleChoice(item, null).positive().size());
    }

    @Test
    void aMessageNeedsARoleAndContent() {
        assertThrows(IllegalArgumentException.class, () -> new ChatMessage(" ", "x"));
        assertThrows(IllegalArgumentException.class, () -> new ChatMessage("user", null));
    }
}
