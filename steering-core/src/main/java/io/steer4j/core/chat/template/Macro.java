package io.steer4j.core.chat.template;

import java.util.List;
import java.util.Map;

/**
 * A {@code {% macro %}} (or a {@code {% call %}} block's {@code caller}): called like a function, it renders its
 * body in a scope of its own whose parent is the scope it was defined in, and returns the text.
 */
record Macro(String name, Node.Params params, List<Node> body, Renderer.Scope closure, Macro caller)
        implements PyCallable {
    @Override
    public Object call(Renderer r, List<Object> args, Map<String, Object> kwargs) {
        return r.callMacro(this, args, kwargs);
    }
}
