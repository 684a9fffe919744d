package io.steer4j.core.chat.template;

import java.util.LinkedHashMap;
import java.util.Map;

/** jinja2's {@code namespace(...)}: the one mutable object a template may change ({@code set ns.x = ...}). */
final class Namespace {
    final Map<String, Object> attributes = new LinkedHashMap<>();

    @Override
    public String toString() {
        return "<Namespace " + attributes.size() + ">";
    }
}
