package io.steer4j.core.chat.template;

import java.util.List;

/** A Python tuple: like a list but printed {@code (1, 2)}, never equal to a list, and not mutable. */
record PyTuple(List<Object> items) {
}
