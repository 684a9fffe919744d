package io.steer4j.djl.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steer4j.core.chat.template.JinjaTemplate;
import io.steer4j.core.chat.template.TemplateException;
import io.steer4j.core.chat.template.TemplateLimits;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * steer4j's Jinja interpreter against Python's jinja2 on 1000 random expressions (operators, filters, tests, str and
 * dict methods, Markup, None, slicing) and 150 random statement templates (nested for/if/set/namespace/macro/filter/raw/comments, loop filters and break, with
 * every whitespace-control variant): the same text, or a refusal carrying Python's message. Goldens:
 * src-test-fixtures/python/make_template_differential_goldens.py (seeded).
 */
class JinjaDifferentialGoldenTest {
    @TestFactory
    List<DynamicTest> randomTemplatesRenderAsPythonJinja2Does() throws IOException {
        JsonNode g;
        try (InputStream in = getClass().getResourceAsStream("/goldens/chat-template-differential.json")) {
            g = new ObjectMapper().readTree(in);
        }
        ObjectMapper json = new ObjectMapper();
        List<DynamicTest> tests = new ArrayList<>();
        for (String section : List.of("expressions", "statements")) {
            @SuppressWarnings("unchecked")
            Map<String, Object> vars = json.convertValue(g.get(section.equals("expressions") ? "expression_variables"
                    : "statement_variables"), Map.class);
            int i = 0;
            for (JsonNode c : g.get(section)) {
                String source = c.get("template").asText();
                tests.add(DynamicTest.dynamicTest(section + " " + i++, () -> {
                    if (c.has("text")) {
                        assertEquals(c.get("text").asText(), render(source, vars), source);
                    } else {
                        TemplateException e = assertThrows(TemplateException.class, () -> render(source, vars), source);
                        String expected = c.get("error").asText();
                        assertTrue(e.getMessage().contains(expected), () -> source + "\nPython: " + expected
                                + "\nsteer4j: " + e.getMessage());
                    }
                }));
            }
        }
        return tests;
    }

    private static String render(String source, Map<String, Object> vars) {
        return JinjaTemplate.parse(source).render(vars, TemplateLimits.defaults(), Clock.systemUTC());
    }
}
