package io.steer4j.core.dataset;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PlaceholderTemplateTest {
    @Test
    void aValueHoldingAPlaceholderIsInsertedLiterallyNotExpandedAgain() {
        Map<String, String> v = new LinkedHashMap<>();
        v.put("{persona}", "a {suffix} fan");
        v.put("{suffix}", "I");
        assertEquals("Be a {suffix} fan. I", new PlaceholderTemplate("Be {persona}. {suffix}").fill(v));
    }

    @Test
    void textWithoutPlaceholdersIsUnchangedAndEveryOccurrenceIsFilled() {
        assertEquals("plain", new PlaceholderTemplate("plain").fill(Map.of("{x}", "y")));
        assertEquals("y-y", new PlaceholderTemplate("{x}-{x}").fill(Map.of("{x}", "y")));
    }
}
