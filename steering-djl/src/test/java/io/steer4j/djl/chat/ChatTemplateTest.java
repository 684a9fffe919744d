package io.steer4j.djl.chat;

import io.steer4j.core.chat.ChatMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChatTemplateTest {
    private static final List<ChatMessage> HI = List.of(ChatMessage.user("hi"));

    @Test
    void strftimeNowFormatsTheTemplatesClockAsPythonDoes() {
        Clock clock = Clock.fixed(Instant.parse("2024-07-05T09:03:07Z"), ZoneOffset.UTC);
        ChatTemplate t = ChatTemplate.of("{{ strftime_now('%d %b %Y, %A %H:%M:%S %p %j %%') }}", null, null)
                .withClock(clock);
        assertEquals("05 Jul 2024, Friday 09:03:07 AM 187 %", t.render(HI, false));
    }

    @Test
    void strftimeNowRefusesADirectiveItDoesNotKnowByName() {
        ChatTemplate t = ChatTemplate.of("{{ strftime_now('%U') }}", null, null);
        ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> t.render(HI, false));
        assertTrue(e.getMessage().contains("%U"), e.getMessage());
    }

    @Test
    void anUnknownFilterIsRefusedNamingIt() {
        ChatTemplateException e = assertThrows(ChatTemplateException.class,
                () -> ChatTemplate.of("{{ '<|im_start|>' + messages[0]['content'] | frobnicate }}", null, null));
        assertTrue(e.getMessage().contains("No filter named 'frobnicate'") && e.getMessage().contains("line 1, column 46"),
                e.getMessage());
        assertFalse(e.getMessage().contains("im_start"), "a | inside a string literal is no filter: " + e.getMessage());
        assertFalse(e.raisedByTemplate());
    }

    @Test
    void anUnknownTestIsRefusedNamingItAndItsPosition() {
        ChatTemplateException e = assertThrows(ChatTemplateException.class,
                () -> ChatTemplate.of("{% for m in messages[::-1] %}\n{% if m is frobbed %}x{% endif %}{% endfor %}", null, null));
        assertTrue(e.getMessage().contains("No test named 'frobbed'") && e.getMessage().contains("line 2, column 12"),
                e.getMessage());
    }

    @Test
    void slicingWithAStepWorksAsInPython() {
        ChatTemplate t = ChatTemplate.of("{% for m in [1, 2, 3, 4, 5][::-2] %}{{ m }}{% endfor %}", null, null);
        assertEquals("531", t.render(HI, false));
    }

    @Test
    void pythonStringMethodsBehaveAsInPython() {
        ChatTemplate t = ChatTemplate.of("{{ '\n\n<think>a</think> b c '.lstrip('\n').split('</think>')[-1].split() | join(',') }}"
                + "|{% if messages[0].content.startswith(('x', 'h')) %}yes{% endif %}|{{ 'ab cD'.title() }}"
                + "|{{ 'xxaxx'.strip('x') }}|{{ '\u00a0 pad\u00a0'.strip() }}|{{ ', '.join(['a', 'b']) }}", null, null);
        assertEquals("b,c|yes|Ab Cd|a|pad|a, b", t.render(HI, false));
    }

    @Test
    void aSyntaxErrorIsAnErrorWithItsLine() {
        ChatTemplateException e = assertThrows(ChatTemplateException.class,
                () -> ChatTemplate.of("line one\n{% for m in messages %}{{ m.role }}", null, null));
        assertTrue(e.getMessage().contains("line 2"), e.getMessage());
        assertFalse(e.getMessage().contains("line one"), "the template's text is not quoted: " + e.getMessage());
    }

    @Test
    void readsTheStringFormAndTheSpecialTokensOfTokenizerConfig(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"bos_token\": {\"content\": \"<s>\", \"special\": true},"
                + " \"eos_token\": \"</s>\", \"chat_template\": \"{{ bos_token }}{{ messages[0].content }}{{ eos_token }}\"}");
        ChatTemplate t = ChatTemplate.fromModelDir(dir).orElseThrow();
        assertEquals("<s>hi</s>", t.render(HI, false));
    }

    @Test
    void takesTheDefaultEntryOfTheNamedListFormOrTheNamedOne(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": ["
                + "{\"name\": \"tool_use\", \"template\": \"T:{{ tools | length }}\"},"
                + "{\"name\": \"default\", \"template\": \"D:{{ messages | length }}\"}]}");
        assertEquals("D:1", ChatTemplate.fromModelDir(dir).orElseThrow().render(HI, false));
        assertEquals("T:2", ChatTemplate.fromModelDir(dir, "tool_use").orElseThrow()
                .render(HI, false, Map.of("tools", List.of("a", "b"))));
        ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> ChatTemplate.fromModelDir(dir, "rag"));
        assertTrue(e.getMessage().contains("rag") && e.getMessage().contains("tool_use"), e.getMessage());
    }

    @Test
    void aModelWithoutAChatTemplateHasNone(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\": \"</s>\"}");
        assertTrue(ChatTemplate.fromModelDir(dir).isEmpty());
    }

    @Test
    void aChatTemplateJinjaFileIsReadWhenTheConfigHasNone(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("chat_template.jinja"), "{% for m in messages %}[{{ m.role }}]{% endfor %}\n");
        assertEquals("[user]", ChatTemplate.fromModelDir(dir).orElseThrow().render(HI, false));
    }

    @Test
    void rangeIsNotCutBelowPythonsSandboxLimit() {
        ChatTemplate t = ChatTemplate.of("{{ range(2500) | list | length }}", null, null);
        assertEquals("2500", t.render(HI, false));
    }

    @Test
    void anEmptyConversationIsRefused() {
        ChatTemplate t = ChatTemplate.of("x", null, null);
        assertThrows(ChatTemplateException.class, () -> t.render(List.of(), true));
    }
}
