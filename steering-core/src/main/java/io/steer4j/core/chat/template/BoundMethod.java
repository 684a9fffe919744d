package io.steer4j.core.chat.template;

import java.util.List;
import java.util.Map;

/** A Python method taken from a value ({@code 'a b'.split}, {@code d.items}), called later. */
record BoundMethod(Object self, String name) implements PyCallable {
    @Override
    public Object call(Renderer r, List<Object> args, Map<String, Object> kwargs) {
        return Methods.call(r, self, name, args, kwargs);
    }
}
