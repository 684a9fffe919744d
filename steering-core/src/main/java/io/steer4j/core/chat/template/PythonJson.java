package io.steer4j.core.chat.template;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Python's {@code json.dumps(x, ensure_ascii=..., indent=..., separators=..., sort_keys=...)}, which is what
 * transformers' {@code tojson} filter calls: {@code {"a": 1}} with Python's spacing, no HTML escaping, keys in
 * their order, and Python's TypeError for what JSON cannot hold (an iterator, an undefined value).
 */
final class PythonJson {
    private final String indent;
    private final String itemSeparator;
    private final String keySeparator;
    private final boolean sortKeys;
    private final boolean ensureAscii;
    private final Renderer renderer;

    private PythonJson(Renderer r, String indent, String itemSeparator, String keySeparator, boolean sortKeys,
                       boolean ensureAscii) {
        this.renderer = r;
        this.indent = indent;
        this.itemSeparator = itemSeparator;
        this.keySeparator = keySeparator;
        this.sortKeys = sortKeys;
        this.ensureAscii = ensureAscii;
    }

    static String dumps(Renderer r, Object value, Object indent, Object separators, boolean sortKeys,
                        boolean ensureAscii) {
        String ind = null;
        if (indent != null) {
            if (Py.isString(indent)) {
                ind = Py.str(indent);
            } else if (Py.isInt(indent)) {
                ind = " ".repeat((int) Math.max(0, Math.min(Py.toLong(indent), 100)));
            } else {
                throw Errors.type("indent must be an integer or a string");
            }
        }
        String item = ind == null ? ", " : ",";
        String key = ": ";
        if (separators != null) {
            List<Object> seps = Py.iterate(separators);
            if (seps.size() != 2) {
                throw Errors.value("separators must be a pair of strings");
            }
            item = Py.str(seps.get(0));
            key = Py.str(seps.get(1));
        }
        StringBuilder out = new StringBuilder();
        new PythonJson(r, ind, item, key, sortKeys, ensureAscii).write(value, out, 0);
        return r.checked(out.toString());
    }

    private void write(Object v, StringBuilder out, int depth) {
        if (depth > 100) {
            throw Errors.of("RecursionError", "maximum recursion depth exceeded while encoding a JSON object");
        }
        if (out.length() > renderer.limits.maxStringLength()) {
            renderer.charge(out.length(), true);
        }
        if (v == null) {
            out.append("null");
        } else if (v instanceof Boolean b) {
            out.append(b ? "true" : "false");
        } else if (v instanceof Long l) {
            out.append(l);
        } else if (v instanceof Double d) {
            out.append(Double.isNaN(d) ? "NaN" : Double.isInfinite(d) ? (d > 0 ? "Infinity" : "-Infinity")
                    : Py.floatRepr(d));
        } else if (Py.isString(v)) {
            string(Py.str(v), out);
        } else if (v instanceof Map<?, ?> m) {
            map(m, out, depth);
        } else if (v instanceof List<?> l) {
            list(l, out, depth);
        } else if (v instanceof PyTuple t) {
            list(t.items(), out, depth);
        } else {
            throw Errors.type("Object of type " + Py.typeName(v) + " is not JSON serializable");
        }
    }

    private String key(Object k) {
        if (Py.isString(k)) {
            return Py.str(k);
        }
        if (k == null) {
            return "null";
        }
        if (k instanceof Boolean b) {
            return b ? "true" : "false";
        }
        if (k instanceof Long || k instanceof Double) {
            StringBuilder sb = new StringBuilder();
            write(k, sb, 0);
            return sb.toString();
        }
        throw Errors.type("keys must be str, int, float, bool or None, not " + Py.typeName(k));
    }

    private void map(Map<?, ?> m, StringBuilder out, int depth) {
        if (m.isEmpty()) {
            out.append("{}");
            return;
        }
        List<Map.Entry<?, ?>> entries = new ArrayList<>(m.entrySet());
        if (sortKeys) {
            entries.sort((a, b) -> Py.compare(a.getKey(), b.getKey(), "<"));
        }
        out.append('{');
        for (int i = 0; i < entries.size(); i++) {
            if (i > 0) {
                out.append(itemSeparator);
            }
            newline(out, depth + 1);
            string(key(entries.get(i).getKey()), out);
            out.append(keySeparator);
            write(entries.get(i).getValue(), out, depth + 1);
        }
        newline(out, depth);
        out.append('}');
    }

    private void list(List<?> l, StringBuilder out, int depth) {
        if (l.isEmpty()) {
            out.append("[]");
            return;
        }
        out.append('[');
        for (int i = 0; i < l.size(); i++) {
            if (i > 0) {
                out.append(itemSeparator);
            }
            newline(out, depth + 1);
            write(l.get(i), out, depth + 1);
        }
        newline(out, depth);
        out.append(']');
    }

    private void newline(StringBuilder out, int depth) {
        if (indent != null) {
            out.append('\n');
            for (int i = 0; i < depth; i++) {
                out.append(indent);
            }
        }
    }

    private void string(String s, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20 || (ensureAscii && c > 0x7e)) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
