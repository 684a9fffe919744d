package io.steer4j.core.chat.template;

import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The public API of the interpreter (its Jinja fidelity is pinned by the Python goldens in steering-djl's tests). */
class JinjaTemplateTest {
    @Test
    void oneParsedTemplateRendersConcurrentlyWithItsOwnStatePerRender() throws Exception {
        JinjaTemplate t = JinjaTemplate.parse("{% set ns = namespace(n=0) %}{% for m in messages %}"
                + "{% set ns.n = ns.n + 1 %}{{ m.role }}{% endfor %}={{ ns.n }}");
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<String>> results = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                int n = i % 5 + 1;
                results.add(pool.submit(() -> t.render(Map.of("messages",
                        java.util.Collections.nCopies(n, Map.of("role", "u"))))));
            }
            for (int i = 0; i < results.size(); i++) {
                int n = i % 5 + 1;
                assertEquals("u".repeat(n) + "=" + n, results.get(i).get());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void strftimeNowReadsTheRendersClock() {
        Clock clock = Clock.fixed(Instant.parse("2024-07-05T09:03:07Z"), ZoneOffset.UTC);
        assertEquals("05 Jul 2024 09:03",
                JinjaTemplate.parse("{{ strftime_now('%d %b %Y %H:%M') }}").render(Map.of(), TemplateLimits.defaults(), clock));
    }

    @Test
    void raiseExceptionCarriesExactlyTheTemplatesMessage() {
        TemplateException e = assertThrows(TemplateException.class,
                () -> JinjaTemplate.parse("\n  {{ raise_exception('Roles must alternate') }}").render(Map.of()));
        assertTrue(e.raisedByTemplate());
        assertEquals("Roles must alternate", e.getMessage());
        assertEquals(null, e.pythonType());
    }

    @Test
    void aRuntimeErrorNamesLineAndColumnAndPythonsType() {
        TemplateException e = assertThrows(TemplateException.class,
                () -> JinjaTemplate.parse("ok\n{% for m in x %}{% endfor %}").render(java.util.Collections.singletonMap("x", null)));
        assertEquals("TypeError", e.pythonType());
        assertEquals(2, e.line());
        assertEquals("'NoneType' object is not iterable (template line 2, column 13)", e.getMessage());
    }

    @Test
    void limitsAreValidatedAndEachWitherChangesOneLimit() {
        assertThrows(IllegalArgumentException.class, () -> TemplateLimits.defaults().withRenderTime(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> TemplateLimits.defaults().withMaxStringLength(0));
        TemplateLimits l = TemplateLimits.defaults().withMaxRange(10);
        assertEquals(10, l.maxRange());
        assertEquals(TemplateLimits.defaults().maxStringLength(), l.maxStringLength());
        TemplateException e = assertThrows(TemplateException.class,
                () -> JinjaTemplate.parse("{{ range(11)|length }}").render(Map.of(), l, Clock.systemUTC()));
        assertTrue(e.getMessage().contains("TemplateLimits.maxRange"), e.getMessage());
    }
}
