package io.steer4j.core.chat.template;

import java.util.List;

/**
 * A one-shot Python iterator, as jinja2's {@code map}, {@code select}, {@code items} and {@code reverse} filters
 * return: it has no length, cannot be written as JSON, and is empty once consumed.
 */
final class PyIterator {
    private final List<Object> items;
    private int next;

    PyIterator(List<Object> items) {
        this.items = items;
    }

    /** The items not yet consumed, consuming them. */
    List<Object> drain() {
        List<Object> rest = items.subList(next, items.size());
        next = items.size();
        return rest;
    }

    /** The next item, or null with {@code hasNext} false. */
    boolean hasNext() {
        return next < items.size();
    }

    Object take() {
        return items.get(next++);
    }
}
