package io.steer4j.djl.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steer4j.core.chat.ChatMessage;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every family's chat template renders every golden conversation exactly as Python's jinja2 does with Hugging Face's
 * settings (goldens: src-test-fixtures/python/make_chat_goldens.py), or refuses it with the same message.
 */
class ChatTemplateGoldenTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static JsonNode goldens() throws IOException {
        try (InputStream in = ChatTemplateGoldenTest.class.getResourceAsStream("/goldens/chat-templates.json")) {
            return JSON.readTree(in);
        }
    }

    static List<ChatMessage> conversation(JsonNode goldens, String name) {
        List<ChatMessage> out = new ArrayList<>();
        for (JsonNode m : goldens.get("conversations").get(name)) {
            out.add(new ChatMessage(m.get("role").asText(), m.get("content").asText()));
        }
        return out;
    }

    @TestFactory
    List<DynamicTest> rendersAsPythonJinja2Does() throws IOException {
        JsonNode g = goldens();
        List<DynamicTest> tests = new ArrayList<>();
        g.get("families").fields().forEachRemaining(family -> {
            JsonNode f = family.getValue();
            ChatTemplate t = ChatTemplate.of(f.get("template").asText(), text(f.get("bos_token")), text(f.get("eos_token")));
            for (JsonNode c : f.get("cases")) {
                String conv = c.get("conversation").asText();
                boolean gen = c.get("add_generation_prompt").asBoolean();
                Map<String, Object> extra = c.get("tools").asBoolean()
                        ? Map.of("tools", JSON.convertValue(g.get("tools"), List.class)) : Map.of();
                String name = family.getKey() + " " + conv + (gen ? " +generation prompt" : "");
                tests.add(DynamicTest.dynamicTest(name, () -> {
                    if (c.has("text")) {
                        assertEquals(c.get("text").asText(), t.render(conversation(g, conv), gen, extra));
                    } else {
                        ChatTemplateException e = assertThrows(ChatTemplateException.class,
                                () -> t.render(conversation(g, conv), gen, extra));
                        assertEquals(c.get("error").asText(), e.getMessage());
                        assertTrue(e.raisedByTemplate());
                    }
                }));
            }
        });
        return tests;
    }

    private static String text(JsonNode n) {
        return n == null || n.isNull() ? null : n.asText();
    }
}
