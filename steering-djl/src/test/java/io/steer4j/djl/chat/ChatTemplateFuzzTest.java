package io.steer4j.djl.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steer4j.core.chat.template.TemplateException;
import io.steer4j.core.chat.template.TemplateLimits;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Mutated real chat templates (characters and Jinja fragments deleted, duplicated, swapped, inserted) for a fixed
 * time budget: every one parses and renders, or is refused with a {@link ChatTemplateException} for a reason the
 * template gives; never another exception, an interpreter defect (the interpreter's {@code InternalError} safety
 * net), a stack overflow or a hang.
 */
class ChatTemplateFuzzTest {
    /** A fixed number of mutated templates, so the outcome does not depend on the machine's speed; the cap bounds a slow one. */
    private static final int RUNS = 2500;
    private static final Duration BUDGET = Duration.ofSeconds(20);
    private static final String[] FRAGMENTS = {"{{", "}}", "{%", "%}", "{#", "#}", "{%-", "-%}", "{{-", "-}}", "(",
        ")", "[", "]", "{", "}", "'", "\"", "\\", "|", ".", ",", ":", "~", "+", "*", "**", "//", "-", "not ", " is ",
        " in ", " if ", " else ", "{% endif %}", "{% endfor %}", "{% for x in messages %}", "{% if true %}",
        "{% set x = 1 %}", "{% macro m(a) %}", "{% endmacro %}", "{{ m(1) }}", "|tojson", "|items", "|length",
        "[::-1]", "[1:]", "loop.", "namespace(", "raise_exception(", "range(", "none", "1e308", "-1", "\n", " ",
        "{% break %}", "{% raw %}", "{% endraw %}", "{% filter upper %}", "{% endfilter %}", "caller()", "x.y",
        "{% include 'x' %}", "* 99999999", "9223372036854775807", "{% call m(1) %}", "{% endcall %}"};

    @Test
    void mutatedTemplatesRenderOrAreRefusedByName() throws Exception {
        JsonNode g = ChatTemplateGoldenTest.goldens();
        ObjectMapper json = new ObjectMapper();
        List<String> sources = new ArrayList<>();
        g.get("real_templates").forEach(t -> sources.add(t.get("template").asText()));
        g.get("families").forEach(t -> sources.add(t.get("template").asText()));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> messages = json.convertValue(g.get("conversations").get("tool_call_then_answer"),
                List.class);
        Map<String, Object> extra = new HashMap<>();
        extra.put("tools", json.convertValue(g.get("tools"), List.class));
        TemplateLimits limits = TemplateLimits.defaults().withRenderTime(Duration.ofMillis(500))
                .withMaxStringLength(1 << 20).withMaxAllocated(16L << 20);
        Random random = new Random(30);
        long end = System.nanoTime() + BUDGET.toNanos();
        int runs = 0;
        int rendered = 0;
        while (runs < RUNS && System.nanoTime() < end) {
            long seed = random.nextLong();
            String mutated = mutate(sources.get(runs % sources.size()), new Random(seed));
            runs++;
            try {
                ChatTemplate.of(mutated, "<s>", "</s>").withLimits(limits).renderMessages(messages, true, extra);
                rendered++;
            } catch (ChatTemplateException e) {
                assertTrue(e.getMessage() != null && !e.getMessage().isEmpty());
                if (e.getCause() instanceof TemplateException te && "InternalError".equals(te.pythonType())) {
                    fail("template " + (runs - 1) % sources.size() + " mutated with seed " + seed
                            + " hit an interpreter defect: " + te.getMessage());
                }
            } catch (Throwable t) {
                fail("template " + (runs - 1) % sources.size() + " mutated with seed " + seed + " threw " + t, t);
            }
        }
        System.out.println("chat-template fuzz: " + runs + " mutated templates, "
                + rendered + " rendered, the rest refused by name");
        assertTrue(runs > sources.size(), "the budget covers every template at least once");
    }

    private static String mutate(String source, Random r) {
        StringBuilder s = new StringBuilder(source);
        int edits = 1 + r.nextInt(6);
        for (int i = 0; i < edits && s.length() > 0; i++) {
            int at = r.nextInt(s.length());
            switch (r.nextInt(5)) {
                case 0 -> s.delete(at, Math.min(s.length(), at + 1 + r.nextInt(20)));
                case 1 -> s.insert(at, FRAGMENTS[r.nextInt(FRAGMENTS.length)]);
                case 2 -> {
                    int len = Math.min(s.length() - at, 1 + r.nextInt(200));
                    s.insert(at, s.substring(at, at + len));
                }
                case 3 -> s.setCharAt(at, (char) (32 + r.nextInt(95)));
                default -> {
                    int other = r.nextInt(s.length());
                    char c = s.charAt(at);
                    s.setCharAt(at, s.charAt(other));
                    s.setCharAt(other, c);
                }
            }
        }
        return s.toString();
    }
}
