package io.steer4j.spark;

import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/** Test helper: yields the given elements, then throws instead of reporting the end (a task dying mid-partition). */
final class FailingAfter<T> implements Iterator<T> {
    private final Iterator<T> elements;
    private final String message;

    FailingAfter(List<T> elements, String message) {
        this.elements = List.copyOf(elements).iterator();
        this.message = message;
    }

    @Override
    public boolean hasNext() {
        if (elements.hasNext()) {
            return true;
        }
        throw new IllegalStateException(message);
    }

    @Override
    public T next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        return elements.next();
    }
}
