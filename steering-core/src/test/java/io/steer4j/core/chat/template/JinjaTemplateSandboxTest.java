package io.steer4j.core.chat.template;

import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A chat template is hostile code (it comes with a downloaded model): the sandbox rows of issue 27 (1, 3, 4, 10),
 * each of which the Jinjava-based renderer failed.
 */
class JinjaTemplateSandboxTest {
    private static TemplateException refusal(String source, TemplateLimits limits) {
        JinjaTemplate t = JinjaTemplate.parse(source);
        return assertThrows(TemplateException.class, () -> t.render(Map.of(), limits, Clock.systemUTC()));
    }

    @Test
    void includeImportFromAndExtendsHaveNoLoaderSoReadNoFile() {
        for (String tag : List.of("{% include 'META-INF/MANIFEST.MF' %}", "{% import 'application.properties' as p %}",
                "{% from 'java/lang/Object.class' import x %}", "{% extends 'pom.properties' %}")) {
            TemplateException e = refusal("before " + tag + " after", TemplateLimits.defaults());
            assertTrue(e.getMessage().contains("no loader for this environment specified"), e.getMessage());
            assertEquals("TypeError", e.pythonType(), "the type Python's sandbox raises");
            assertEquals(1, e.line());
            assertEquals(11, e.column(), "the tag's name");
        }
    }

    @Test
    void aNestedRangeLoopIsStoppedByTheRenderTimeLimit() {
        long start = System.nanoTime();
        TemplateException e = refusal("{% for i in range(100000) %}{% for j in range(100000) %}{{ j }}{% endfor %}"
                + "{% endfor %}", TemplateLimits.defaults().withRenderTime(Duration.ofMillis(300))
                .withMaxStringLength(Integer.MAX_VALUE).withMaxAllocated(Long.MAX_VALUE));
        assertTrue(e.getMessage().contains("TemplateLimits.renderTime"), e.getMessage());
        assertTrue(System.nanoTime() - start < Duration.ofSeconds(60).toNanos(), "stopped, not run to the end");
    }

    @Test
    void theOutputOfANestedLoopIsCappedBeforeTheHeapFills() {
        TemplateException e = refusal("{% for i in range(100000) %}{% for j in range(100000) %}{{ j }}{% endfor %}"
                + "{% endfor %}", TemplateLimits.defaults().withMaxStringLength(1 << 20));
        assertTrue(e.getMessage().contains("TemplateLimits.maxStringLength"), e.getMessage());
    }

    @Test
    void javaMethodsOnStringsAreNotReachable() {
        TemplateException e = refusal("{{ 'x'.repeat(2000000000)|length }}", TemplateLimits.defaults());
        assertEquals("'str object' has no attribute 'repeat' (template line 1, column 14)", e.getMessage());
        for (String source : List.of("{{ ''.getClass() }}", "{{ messages.getClass() }}", "{{ 'x'.__class__.__mro__ }}",
                "{{ 'abc'.chars() }}", "{{ 'x'.length() }}")) {
            JinjaTemplate t = JinjaTemplate.parse(source);
            assertThrows(TemplateException.class, () -> t.render(Map.of("messages", List.of())), source);
        }
    }

    @Test
    void aHugeIntermediateStringIsRefusedBeforeItIsBuilt() {
        for (String source : List.of("{{ 'x'|center(1000000000) }}", "{{ ('x' * 2000000000)|length }}",
                "{{ 'x'.ljust(1000000000) }}", "{{ ('ab' * 1000)|replace('a', 'a' * 100000) }}",
                "{{ ([1] * 2000000000)|length }}")) {
            TemplateException e = refusal(source, TemplateLimits.defaults());
            assertEquals("LimitExceeded", e.pythonType(), source + ": " + e.getMessage());
            assertTrue(e.getMessage().contains("TemplateLimits.max"), e.getMessage());
        }
    }

    @Test
    void manyBigStringsKeptInAListAreBoundedInAll() {
        TemplateException e = refusal("{% set ns = namespace(l=[]) %}{% set s = 'x' * 10000000 %}"
                + "{% for i in range(100) %}{% set ns.l = ns.l + [s ~ i] %}{% endfor %}{{ ns.l|length }}",
                TemplateLimits.defaults());
        assertTrue(e.getMessage().contains("TemplateLimits.maxAllocated"), e.getMessage());
    }

    @Test
    void rangeAbovePythonsSandboxLimitIsRefusedAsPythonRefusesIt() {
        TemplateException e = refusal("{{ range(100001)|length }}", TemplateLimits.defaults());
        assertEquals("OverflowError", e.pythonType());
        assertTrue(e.getMessage().startsWith("Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000)."),
                e.getMessage());
        assertEquals("100000", JinjaTemplate.parse("{{ range(100000)|length }}").render(Map.of()));
    }

    @Test
    void listsAndDictsPassedInCannotBeMutated() {
        TemplateException e = assertThrows(TemplateException.class, () -> JinjaTemplate.parse(
                "{{ messages.append(1) }}").render(Map.of("messages", List.of())));
        assertEquals("SecurityError", e.pythonType());
        assertTrue(e.getMessage().startsWith("access to attribute 'append' of 'list' object is unsafe."), e.getMessage());
    }

    @Test
    void aJavaObjectCannotBePassedToATemplate() {
        JinjaTemplate t = JinjaTemplate.parse("{{ x }}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> t.render(Map.of("x", new Thread())));
        assertTrue(e.getMessage().contains("Thread"), e.getMessage());
    }

    @Test
    void errorsNameThePositionWithoutQuotingTheTemplate() {
        TemplateException e = assertThrows(TemplateException.class,
                () -> JinjaTemplate.parse("hf_CANARYsecretTOKEN\n  {{ 1 + }}"));
        assertEquals(2, e.line());
        assertFalse(e.getMessage().contains("CANARY"), e.getMessage());
    }

    @Test
    void deeplyNestedSyntaxIsRefusedNotAStackOverflow() {
        TemplateException e = assertThrows(TemplateException.class,
                () -> JinjaTemplate.parse("{{ " + "(".repeat(100_000) + "1" + ")".repeat(100_000) + " }}"));
        assertTrue(e.getMessage().contains("nests deeper"), e.getMessage());
    }

    @Test
    void unboundedMacroRecursionIsRefusedByDepth() {
        TemplateException e = refusal("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
                TemplateLimits.defaults());
        assertTrue(e.getMessage().contains("TemplateLimits.maxDepth"), e.getMessage());
    }
}
