package io.steer4j.djl.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.AdvancedFilter;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Hugging Face's {@code tojson} filter ({@code json.dumps(x, ensure_ascii=False, indent=indent,
 * separators=separators, sort_keys=sort_keys)}), replacing Jinjava's, which writes Jackson's compact JSON.
 */
final class ToJsonFilter implements AdvancedFilter {
    @Override
    public String getName() {
        return "tojson";
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
        Object indent = kwargs.containsKey("indent") ? kwargs.get("indent") : args.length > 0 ? args[0] : null;
        Object separators = kwargs.get("separators");
        Object sortKeys = kwargs.get("sort_keys");
        Object ensureAscii = kwargs.get("ensure_ascii");
        if (Boolean.TRUE.equals(ensureAscii)) {
            throw new ChatTemplateException("tojson(ensure_ascii=true) is not supported");
        }
        List<String> seps = null;
        if (separators instanceof Collection<?> c) {
            seps = new ArrayList<>();
            for (Object o : c) {
                seps.add(String.valueOf(o));
            }
        } else if (separators != null) {
            throw new ChatTemplateException("tojson: separators must be a list of two strings, got " + separators);
        }
        Integer ind = indent == null ? null : indent instanceof Number n ? Integer.valueOf(n.intValue()) : null;
        if (indent != null && ind == null) {
            throw new ChatTemplateException("tojson: indent must be a number, got " + indent);
        }
        return new PythonJson(ind, seps, Boolean.TRUE.equals(sortKeys)).dumps(var);
    }
}
