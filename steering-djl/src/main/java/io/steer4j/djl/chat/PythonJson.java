package io.steer4j.djl.chat;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Python's {@code json.dumps(x, ensure_ascii=False, indent=..., separators=..., sort_keys=...)}, which is what
 * Hugging Face's {@code tojson} filter calls. Jinjava's own {@code tojson} writes Jackson's compact form
 * ({@code {"a":1}}) instead of Python's {@code {"a": 1}}, so rendered tool lists would differ from transformers'.
 */
final class PythonJson {
    private final String indent;
    private final String itemSeparator;
    private final String keySeparator;
    private final boolean sortKeys;

    /**
     * @param indent     spaces per level, or null for one line
     * @param separators item and key separators, or null for Python's defaults ({@code ", "} / {@code ": "}, and
     *                   {@code ","} between items when indenting)
     */
    PythonJson(Integer indent, List<String> separators, boolean sortKeys) {
        if (indent != null && indent < 0) {
            throw new ChatTemplateException("tojson: indent must be >= 0, got " + indent);
        }
        this.indent = indent == null ? null : " ".repeat(indent);
        if (separators != null) {
            if (separators.size() != 2) {
                throw new ChatTemplateException("tojson: separators must be two strings, got " + separators);
            }
            this.itemSeparator = separators.get(0);
            this.keySeparator = separators.get(1);
        } else {
            this.itemSeparator = indent == null ? ", " : ",";
            this.keySeparator = ": ";
        }
        this.sortKeys = sortKeys;
    }

    String dumps(Object value) {
        StringBuilder out = new StringBuilder();
        write(value, out, 0);
        return out.toString();
    }

    private void write(Object v, StringBuilder out, int depth) {
        if (v == null) {
            out.append("null");
        } else if (v instanceof Boolean b) {
            out.append(b ? "true" : "false");
        } else if (v instanceof CharSequence s) {
            string(s.toString(), out);
        } else if (v instanceof Number n) {
            number(n, out);
        } else if (v instanceof Map<?, ?> m) {
            map(m, out, depth);
        } else if (v instanceof Collection<?> c) {
            list(new ArrayList<>(c), out, depth);
        } else if (v instanceof Object[] a) {
            list(List.of(a), out, depth);
        } else if (v instanceof Character c) {
            string(c.toString(), out);
        } else {
            throw new ChatTemplateException("tojson: cannot write a " + v.getClass().getSimpleName()
                    + " as JSON (only maps, lists, strings, numbers, booleans and none)");
        }
    }

    private void map(Map<?, ?> m, StringBuilder out, int depth) {
        if (m.isEmpty()) {
            out.append("{}");
            return;
        }
        List<Map.Entry<String, Object>> entries = new ArrayList<>();
        for (Map.Entry<?, ?> e : m.entrySet()) {
            entries.add(Map.entry(key(e.getKey()), e.getValue() == null ? NULL : e.getValue()));
        }
        if (sortKeys) {
            entries.sort(Map.Entry.comparingByKey());
        }
        out.append('{');
        for (int i = 0; i < entries.size(); i++) {
            if (i > 0) {
                out.append(itemSeparator);
            }
            newline(out, depth + 1);
            string(entries.get(i).getKey(), out);
            out.append(keySeparator);
            Object value = entries.get(i).getValue();
            write(value == NULL ? null : value, out, depth + 1);
        }
        newline(out, depth);
        out.append('}');
    }

    private static final Object NULL = new Object();

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
            out.append('\n').append(indent.repeat(depth));
        }
    }

    /** Python turns None, booleans and numbers used as keys into their JSON text. */
    private String key(Object k) {
        if (k == null) {
            return "null";
        }
        if (k instanceof CharSequence || k instanceof Boolean || k instanceof Number) {
            if (k instanceof Number n) {
                StringBuilder sb = new StringBuilder();
                number(n, sb);
                return sb.toString();
            }
            return k.toString();
        }
        throw new ChatTemplateException("tojson: keys must be strings, numbers, booleans or none, got a "
                + k.getClass().getSimpleName());
    }

    private static void number(Number n, StringBuilder out) {
        if (n instanceof Integer || n instanceof Long || n instanceof Short || n instanceof Byte
                || n instanceof BigInteger) {
            out.append(n);
            return;
        }
        if (n instanceof BigDecimal bd && bd.scale() <= 0) {
            out.append(bd.toBigInteger());
            return;
        }
        double d = n.doubleValue();
        if (Double.isNaN(d)) {
            out.append("NaN");
        } else if (Double.isInfinite(d)) {
            out.append(d > 0 ? "Infinity" : "-Infinity");
        } else {
            out.append(pythonFloatRepr(d));
        }
    }

    /** Python's {@code repr(float)}: {@code 2.0}, {@code 0.1}, {@code 1e+16}, {@code 1.5e-05}. */
    static String pythonFloatRepr(double d) {
        if (d == 0) {
            return 1 / d < 0 ? "-0.0" : "0.0";
        }
        // Double.toString gives the short decimal digits; only the notation differs from Python's
        BigDecimal digits = new BigDecimal(Double.toString(d)).stripTrailingZeros();
        double abs = Math.abs(d);
        if (abs >= 1e16 || abs < 1e-4) {
            int exp = digits.precision() - digits.scale() - 1;
            String mantissa = digits.movePointLeft(exp).toPlainString();
            return mantissa + "e" + (exp < 0 ? "-" : "+") + String.format("%02d", Math.abs(exp));
        }
        String plain = digits.toPlainString();
        return plain.contains(".") ? plain : plain + ".0";
    }

    private static void string(String s, StringBuilder out) {
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
                    if (c < 0x20) {
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
