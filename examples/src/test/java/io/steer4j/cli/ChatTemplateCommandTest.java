package io.steer4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code steer4j chat-template} prints exactly what Python's jinja2 renders (the goldens of
 * src-test-fixtures/python/make_chat_goldens.py) and nothing else.
 */
class ChatTemplateCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static JsonNode goldens;

    @BeforeAll
    static void read() throws Exception {
        try (InputStream in = ChatTemplateCommandTest.class.getResourceAsStream("/goldens/chat-templates.json")) {
            goldens = JSON.readTree(in);
        }
    }

    private static JsonNode golden(String template, String conversation, boolean tools) {
        for (JsonNode c : goldens.get("real_templates").get(template).get("cases")) {
            if (c.get("conversation").asText().equals(conversation) && c.get("tools").asBoolean() == tools) {
                return c;
            }
        }
        throw new AssertionError("no golden " + template + " " + conversation);
    }

    private static Path write(Path dir, String name, Object content) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, content instanceof String s ? s : JSON.writeValueAsString(content));
        return p;
    }

    @Test
    void printsExactlyWhatPythonRendersForAToolCallConversation(@TempDir Path dir) throws Exception {
        String name = "Qwen-Qwen2.5-7B-Instruct";
        JsonNode t = goldens.get("real_templates").get(name);
        Path template = write(dir, "t.jinja", t.get("template").asText());
        Path messages = write(dir, "m.json", goldens.get("conversations").get("tool_call_and_result"));
        Path tools = write(dir, "tools.json", goldens.get("tools"));
        Steer4jCliTest.Run r = Steer4jCliTest.run("chat-template", "--template", template.toString(),
                "--messages", messages.toString(), "--tools", tools.toString(), "--add-generation-prompt",
                "--eos-token", t.get("eos_token").asText());
        assertEquals(0, r.code(), r.toString());
        assertEquals(golden(name, "tool_call_and_result", true).get("text").asText(), r.out());
        assertEquals("", r.err());
    }

    @Test
    void dateFixesTheDayStrftimeNowSees(@TempDir Path dir) throws Exception {
        JsonNode snippet = null;
        for (JsonNode s : goldens.get("snippets")) {
            if (s.get("template").asText().startsWith("{{ strftime_now(")) {
                snippet = s;
            }
        }
        Path template = write(dir, "t.jinja", snippet.get("template").asText());
        Path messages = write(dir, "m.json", goldens.get("conversations").get("single_user"));
        Steer4jCliTest.Run r = Steer4jCliTest.run("chat-template", "--template", template.toString(),
                "--messages", messages.toString(), "--date", goldens.get("date").asText());
        assertEquals(0, r.code(), r.toString());
        assertEquals(snippet.get("text").asText(), r.out());
    }

    @Test
    void aModelFolderGivesTheTemplateAndItsSpecialTokens(@TempDir Path dir) throws Exception {
        String name = "google-gemma-2-2b-it";
        JsonNode t = goldens.get("real_templates").get(name);
        write(dir, "tokenizer_config.json", Map.of("chat_template", t.get("template").asText(),
                "bos_token", t.get("bos_token").asText(), "eos_token", t.get("eos_token").asText()));
        Path messages = write(dir, "m.json", goldens.get("conversations").get("unicode_and_newlines"));
        Steer4jCliTest.Run r = Steer4jCliTest.run("chat-template", "--model", dir.toString(),
                "--messages", messages.toString(), "--add-generation-prompt");
        assertEquals(0, r.code(), r.toString());
        assertEquals(golden(name, "unicode_and_newlines", false).get("text").asText(), r.out());
    }

    @Test
    void aConversationTheTemplateRefusesExitsOneWithItsMessage(@TempDir Path dir) throws Exception {
        JsonNode t = goldens.get("real_templates").get("google-gemma-2-2b-it");
        Path template = write(dir, "t.jinja", t.get("template").asText());
        Path messages = write(dir, "m.json", goldens.get("conversations").get("system_multi_turn"));
        Steer4jCliTest.Run r = Steer4jCliTest.run("chat-template", "--template", template.toString(),
                "--messages", messages.toString());
        assertEquals(1, r.code(), r.toString());
        assertEquals("", r.out());
        assertTrue(r.err().contains("System role not supported"), r.toString());
    }

    @Test
    void varsAreJsonValuesOrPlainText(@TempDir Path dir) throws Exception {
        Path template = write(dir, "t.jinja", "{{ n + 1 }}|{{ flag is true }}|{{ name }}|{{ items|length }}");
        Path messages = write(dir, "m.json", "[{\"role\": \"user\", \"content\": \"hi\"}]");
        Steer4jCliTest.Run r = Steer4jCliTest.run("chat-template", "--template", template.toString(),
                "--messages", messages.toString(), "--var", "n=2", "--var", "flag=true", "--var", "name=Ada Lovelace",
                "--var", "items=[1, 2, 3]");
        assertEquals(0, r.code(), r.toString());
        assertEquals("3|True|Ada Lovelace|3", r.out());
    }

    @Test
    void messagesThatAreNotJsonAreAUsageErrorWithoutQuotingTheFile(@TempDir Path dir) throws Exception {
        Path template = write(dir, "t.jinja", "{{ messages }}");
        Path messages = write(dir, "m.json", "[{\"role\": hf_CANARYsecretTOKEN}]");
        Steer4jCliTest.Run r = Steer4jCliTest.run("chat-template", "--template", template.toString(),
                "--messages", messages.toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("is not valid JSON (line 1"), r.toString());
        assertFalse(r.err().contains("CANARY"), r.toString());
    }
}
