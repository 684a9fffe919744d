package io.steer4j.core.chat.template;

import java.util.List;
import java.util.Map;

/** Something a template may call: a global function, a macro, a bound string method, {@code loop.cycle}. */
interface PyCallable {
    Object call(Renderer r, List<Object> args, Map<String, Object> kwargs);
}
