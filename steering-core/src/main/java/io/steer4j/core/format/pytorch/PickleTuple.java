package io.steer4j.core.format.pytorch;

import java.util.List;

/** A Python tuple read from a pickle (kept apart from lists, which pickles can mutate after creation). */
record PickleTuple(List<Object> items) {
    PickleTuple {
        items = List.copyOf(items);
    }

    int size() {
        return items.size();
    }

    Object get(int i) {
        return items.get(i);
    }
}
