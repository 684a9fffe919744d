package io.steer4j.djl.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steer4j.core.chat.ChatMessage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The 19 published chat templates of {@code ../shared/chat-templates} (their text is in the goldens) render every
 * golden conversation exactly as Python's jinja2 does with Hugging Face's settings, or refuse it as Python does: the
 * template's own {@code raise_exception} message exactly, any other refusal with Python's message in ours. The same
 * holds for the one-line snippets, each isolating one Jinja rule. Goldens: src-test-fixtures/python/make_chat_goldens.py.
 *
 * <p>Prints a per-template table (equal / differ / refused where Python renders) to stdout: the before/after figure
 * of issue 30.
 */
class RealChatTemplateGoldenTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, int[]> TABLE = new TreeMap<>();

    @TestFactory
    List<DynamicTest> realTemplatesRenderAsPythonJinja2Does() throws IOException {
        JsonNode g = ChatTemplateGoldenTest.goldens();
        Clock clock = Clock.fixed(LocalDate.parse(g.get("date").asText()).atStartOfDay().toInstant(ZoneOffset.UTC),
                ZoneOffset.UTC);
        List<DynamicTest> tests = new ArrayList<>();
        g.get("real_templates").fields().forEachRemaining(entry -> {
            JsonNode t = entry.getValue();
            for (JsonNode c : t.get("cases")) {
                String conv = c.get("conversation").asText();
                boolean gen = c.get("add_generation_prompt").asBoolean();
                Map<String, Object> vars = new HashMap<>();
                vars.put("messages", JSON.convertValue(g.get("conversations").get(conv), List.class));
                vars.put("tools", c.get("tools").asBoolean() ? JSON.convertValue(g.get("tools"), List.class) : null);
                vars.put("documents", null);
                String name = entry.getKey() + " " + conv + (gen ? " +generation prompt" : "")
                        + (c.get("tools").asBoolean() ? " +tools" : "");
                tests.add(DynamicTest.dynamicTest(name, () -> check(entry.getKey(), c, () -> ChatTemplate.of(
                        t.get("template").asText(), text(t.get("bos_token")), text(t.get("eos_token")))
                        .withClock(clock).render(List.of(ChatMessage.user("unused")), gen, vars))));
            }
        });
        for (JsonNode s : g.get("snippets")) {
            Map<String, Object> vars = new HashMap<>(JSON.convertValue(s.get("variables"), Map.class));
            String source = s.get("template").asText();
            tests.add(DynamicTest.dynamicTest("snippet " + source.replace("\n", "\\n"), () -> check("(snippets)", s,
                    () -> ChatTemplate.of(source, null, null).withClock(clock)
                            .render(List.of(ChatMessage.user("unused")), false, vars))));
        }
        return tests;
    }

    private interface Render {
        String render();
    }

    private static void check(String table, JsonNode golden, Render render) {
        int[] row = TABLE.computeIfAbsent(table, k -> new int[3]);
        if (golden.has("text")) {
            String out;
            try {
                out = render.render();
            } catch (RuntimeException | Error e) {
                row[2]++;
                throw e;
            }
            if (!golden.get("text").asText().equals(out)) {
                row[1]++;
            } else {
                row[0]++;
            }
            assertEquals(golden.get("text").asText(), out);
            return;
        }
        String expected = golden.get("error").asText();
        String actual;
        try {
            actual = render.render();
        } catch (ChatTemplateException e) {
            boolean same = golden.has("error_type") ? e.getMessage().contains(expected)
                    : e.raisedByTemplate() && e.getMessage().equals(expected);
            row[same ? 0 : 1]++;
            assertTrue(same, () -> "Python: " + expected + "\nsteer4j: " + e.getMessage());
            return;
        } catch (RuntimeException | Error e) {
            row[2]++;
            throw e;
        }
        row[1]++;
        throw new AssertionError("Python refuses (" + expected + "), steer4j rendered: " + actual);
    }

    @AfterAll
    static void printTable() {
        StringBuilder out = new StringBuilder("| template | equal | differ | refused or failed |\n| --- | --- | --- | --- |\n");
        int[] total = new int[3];
        TABLE.forEach((name, row) -> {
            out.append("| ").append(name).append(" | ").append(row[0]).append(" | ").append(row[1]).append(" | ")
                    .append(row[2]).append(" |\n");
            for (int i = 0; i < 3; i++) {
                total[i] += row[i];
            }
        });
        out.append("| total | ").append(total[0]).append(" | ").append(total[1]).append(" | ").append(total[2]).append(" |");
        System.out.println(out);
    }

    private static String text(JsonNode n) {
        return n == null || n.isNull() ? null : n.asText();
    }
}
