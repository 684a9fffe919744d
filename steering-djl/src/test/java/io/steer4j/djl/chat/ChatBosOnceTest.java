package io.steer4j.djl.chat;

import io.steer4j.core.chat.ChatDataset;
import io.steer4j.core.chat.ChatMessage;
import io.steer4j.core.chat.ChatPair;
import io.steer4j.core.dataset.ContrastiveDataset;
import io.steer4j.djl.RealModels;
import io.steer4j.djl.model.LanguageModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A template that writes {@code bos_token} itself, on a SentencePiece model whose tokenizer also adds BOS
 * (stories260k): chat prompts and chat datasets put BOS in front exactly once.
 */
class ChatBosOnceTest {
    private static final String TEMPLATE = "{{ bos_token }}{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n"
            + "{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}";
    private static final long BOS = 1;
    private static LanguageModel model;
    private static ChatFormat format;

    @BeforeAll
    static void load() {
        model = LanguageModel.load(RealModels.require("stories260k"));
        format = ChatFormat.of(model, ChatTemplate.of(TEMPLATE, "<s>", "</s>"));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static long bosCount(long[] ids) {
        return Arrays.stream(ids).filter(id -> id == BOS).count();
    }

    @Test
    void aChatPromptCarriesTheTemplatesBosOnce() {
        long[] ids = format.prompt(List.of(ChatMessage.user("Lily was sad.")), ChatEnding.GENERATION_PROMPT).ids();
        assertEquals(BOS, ids[0]);
        assertEquals(1, bosCount(ids), "BOS once: " + Arrays.toString(ids));
    }

    @Test
    void aChatDatasetRenderedForTheModelEncodesToTheTemplatesTokensWithBosOnce() {
        List<ChatMessage> happy = List.of(ChatMessage.user("How was the park?"), ChatMessage.assistant("It was fun"));
        List<ChatMessage> sad = List.of(ChatMessage.user("How was the park?"), ChatMessage.assistant("It was bad"));
        ContrastiveDataset pairs = ChatDatasets.render(format, new ChatDataset("d", List.of(new ChatPair(happy, sad))),
                ChatReadPoint.ASSISTANT_TOKEN);
        long[] asTheModelEncodesIt = model.tokenizer().encode(pairs.pairs().get(0).positive());
        long[] asTheTemplateRendersIt = model.tokenizer().encode(
                ChatDatasets.render(format.template(), happy, ChatReadPoint.ASSISTANT_TOKEN), false);
        assertEquals(1, bosCount(asTheModelEncodesIt), "BOS once: " + Arrays.toString(asTheModelEncodesIt));
        assertArrayEquals(asTheTemplateRendersIt, asTheModelEncodesIt);
    }
}
