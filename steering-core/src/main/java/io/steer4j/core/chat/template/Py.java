package io.steer4j.core.chat.template;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Python's semantics for the values a template handles: None (Java null), bool, int (64-bit long), float, str,
 * list, tuple, dict, plus Markup and Undefined: {@code str()}, {@code repr()}, truth, equality, ordering, length,
 * iteration, indexing and slicing by code point, and the arithmetic operators with Python's results and errors.
 */
final class Py {
    private Py() {
    }

    // ---- type names, str, repr ----

    static String typeName(Object o) {
        if (o == null) {
            return "NoneType";
        }
        if (o instanceof Boolean) {
            return "bool";
        }
        if (o instanceof Long || o instanceof Integer) {
            return "int";
        }
        if (o instanceof Double) {
            return "float";
        }
        if (o instanceof String) {
            return "str";
        }
        if (o instanceof Markup) {
            return "Markup";
        }
        if (o instanceof List) {
            return "list";
        }
        if (o instanceof PyTuple) {
            return "tuple";
        }
        if (o instanceof Map) {
            return "dict";
        }
        if (o instanceof Undefined) {
            return "Undefined";
        }
        if (o instanceof PyIterator) {
            return "generator";
        }
        if (o instanceof Namespace) {
            return "Namespace";
        }
        if (o instanceof LoopContext) {
            return "LoopContext";
        }
        if (o instanceof Macro) {
            return "Macro";
        }
        if (o instanceof PyCallable) {
            return "builtin_function_or_method";
        }
        return "object";
    }

    /** Python's {@code str(o)}. */
    static String str(Object o) {
        if (o instanceof String s) {
            return s;
        }
        if (o instanceof Markup m) {
            return m.text();
        }
        if (o instanceof Undefined) {
            return "";
        }
        return repr(o);
    }

    /** Python's {@code repr(o)}. */
    static String repr(Object o) {
        StringBuilder sb = new StringBuilder();
        repr(o, sb, 0);
        return sb.toString();
    }

    private static void repr(Object o, StringBuilder sb, int depth) {
        if (depth > 200) {
            throw Errors.of("RecursionError", "maximum recursion depth exceeded while getting the repr of an object");
        }
        if (o == null) {
            sb.append("None");
        } else if (o instanceof Boolean b) {
            sb.append(b ? "True" : "False");
        } else if (o instanceof Long || o instanceof Integer) {
            sb.append(o);
        } else if (o instanceof Double d) {
            sb.append(floatRepr(d));
        } else if (o instanceof String s) {
            stringRepr(s, sb);
        } else if (o instanceof Markup m) {
            sb.append("Markup(");
            stringRepr(m.text(), sb);
            sb.append(')');
        } else if (o instanceof List<?> l) {
            sb.append('[');
            for (int i = 0; i < l.size(); i++) {
                if (i > 0) {
                    sb.append(", ");
                }
                repr(l.get(i), sb, depth + 1);
            }
            sb.append(']');
        } else if (o instanceof PyTuple t) {
            sb.append('(');
            for (int i = 0; i < t.items().size(); i++) {
                if (i > 0) {
                    sb.append(", ");
                }
                repr(t.items().get(i), sb, depth + 1);
            }
            sb.append(t.items().size() == 1 ? ",)" : ")");
        } else if (o instanceof Map<?, ?> m) {
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!first) {
                    sb.append(", ");
                }
                first = false;
                repr(e.getKey(), sb, depth + 1);
                sb.append(": ");
                repr(e.getValue(), sb, depth + 1);
            }
            sb.append('}');
        } else if (o instanceof Undefined) {
            sb.append("Undefined");
        } else if (o instanceof PyIterator) {
            sb.append("<generator object>");
        } else if (o instanceof Namespace n) {
            sb.append("<Namespace ");
            repr(n.attributes, sb, depth + 1);
            sb.append('>');
        } else if (o instanceof Macro m) {
            sb.append("<Macro '").append(m.name()).append("'>");
        } else if (o instanceof LoopContext l) {
            sb.append("<LoopContext ").append(l.index()).append('/').append(l.length()).append('>');
        } else {
            sb.append("<built-in function>");
        }
    }

    static String floatRepr(double d) {
        if (Double.isNaN(d)) {
            return "nan";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "inf" : "-inf";
        }
        if (d == 0) {
            return 1 / d < 0 ? "-0.0" : "0.0";
        }
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

    private static void stringRepr(String s, StringBuilder sb) {
        char quote = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        sb.append(quote);
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (cp == quote || cp == '\\') {
                sb.append('\\').appendCodePoint(cp);
            } else if (cp == '\n') {
                sb.append("\\n");
            } else if (cp == '\r') {
                sb.append("\\r");
            } else if (cp == '\t') {
                sb.append("\\t");
            } else if (!printable(cp)) {
                if (cp < 0x100) {
                    sb.append(String.format("\\x%02x", cp));
                } else if (cp < 0x10000) {
                    sb.append(String.format("\\u%04x", cp));
                } else {
                    sb.append(String.format("\\U%08x", cp));
                }
            } else {
                sb.appendCodePoint(cp);
            }
        }
        sb.append(quote);
    }

    /** Python's str.isprintable for one code point: not a control, format, separator (but space) or unassigned. */
    private static boolean printable(int cp) {
        if (cp == ' ') {
            return true;
        }
        int t = Character.getType(cp);
        return !(t == Character.CONTROL || t == Character.FORMAT || t == Character.SURROGATE
                || t == Character.PRIVATE_USE || t == Character.UNASSIGNED || t == Character.SPACE_SEPARATOR
                || t == Character.LINE_SEPARATOR || t == Character.PARAGRAPH_SEPARATOR);
    }

    // ---- truth, equality, ordering ----

    static boolean truthy(Object o) {
        if (o == null || o instanceof Undefined) {
            return false;
        }
        if (o instanceof Boolean b) {
            return b;
        }
        if (o instanceof Long l) {
            return l != 0;
        }
        if (o instanceof Double d) {
            return d != 0;
        }
        if (o instanceof String s) {
            return !s.isEmpty();
        }
        if (o instanceof Markup m) {
            return !m.text().isEmpty();
        }
        if (o instanceof List<?> l) {
            return !l.isEmpty();
        }
        if (o instanceof PyTuple t) {
            return !t.items().isEmpty();
        }
        if (o instanceof Map<?, ?> m) {
            return !m.isEmpty();
        }
        return true;
    }

    static boolean isNumber(Object o) {
        return o instanceof Long || o instanceof Double || o instanceof Boolean;
    }

    static boolean isString(Object o) {
        return o instanceof String || o instanceof Markup;
    }

    static boolean isInt(Object o) {
        return o instanceof Long || o instanceof Boolean;
    }

    /** An int (or bool) as a long; anything else is Python's TypeError. */
    static long toLong(Object o) {
        if (o instanceof Boolean b) {
            return b ? 1 : 0;
        }
        if (o instanceof Long l) {
            return l;
        }
        if (o instanceof Undefined u) {
            throw u.error();
        }
        throw Errors.type("'" + typeName(o) + "' object cannot be interpreted as an integer");
    }

    /** A number as a double; anything else is Python's TypeError. */
    static double toDouble(Object o) {
        if (o instanceof Double d) {
            return d;
        }
        if (o instanceof Undefined u) {
            throw u.error();
        }
        if (!isNumber(o)) {
            throw Errors.type("must be real number, not " + typeName(o));
        }
        return toLong(o);
    }

    static boolean equal(Object a, Object b) {
        if (a == b) {
            return true;
        }
        if (a == null || b == null) {
            return false;
        }
        if (isNumber(a) && isNumber(b)) {
            if (isInt(a) && isInt(b)) {
                return toLong(a) == toLong(b);
            }
            return toDouble(a) == toDouble(b);
        }
        if (isString(a) && isString(b)) {
            return str(a).equals(str(b));
        }
        if (a instanceof List<?> x && b instanceof List<?> y) {
            return seqEqual(x, y);
        }
        if (a instanceof PyTuple x && b instanceof PyTuple y) {
            return seqEqual(x.items(), y.items());
        }
        if (a instanceof Map<?, ?> x && b instanceof Map<?, ?> y) {
            if (x.size() != y.size()) {
                return false;
            }
            for (Map.Entry<?, ?> e : x.entrySet()) {
                Object k = findKey(y, e.getKey());
                if (k == NO_KEY || !equal(e.getValue(), y.get(k))) {
                    return false;
                }
            }
            return true;
        }
        if (a instanceof Undefined && b instanceof Undefined) {
            return true;
        }
        return a.equals(b);
    }

    private static boolean seqEqual(List<?> x, List<?> y) {
        if (x.size() != y.size()) {
            return false;
        }
        for (int i = 0; i < x.size(); i++) {
            if (!equal(x.get(i), y.get(i))) {
                return false;
            }
        }
        return true;
    }

    static final Object NO_KEY = new Object();

    /** The key of {@code m} equal to {@code key} in Python's sense (1 == 1.0 == True), or NO_KEY. */
    static Object findKey(Map<?, ?> m, Object key) {
        if (key instanceof Markup mk) {
            key = mk.text();
        }
        if (m.containsKey(key)) {
            return key;
        }
        if (isNumber(key) || key == null) {
            for (Object k : m.keySet()) {
                if (equal(k, key)) {
                    return k;
                }
            }
        }
        return NO_KEY;
    }

    /** Python's ordering: numbers, strings, and lists or tuples element by element; else TypeError. */
    static int compare(Object a, Object b, String op) {
        if (a instanceof Undefined u) {
            throw u.error();
        }
        if (b instanceof Undefined u) {
            throw u.error();
        }
        if (isNumber(a) && isNumber(b)) {
            if (isInt(a) && isInt(b)) {
                return Long.compare(toLong(a), toLong(b));
            }
            return Double.compare(toDouble(a), toDouble(b));
        }
        if (isString(a) && isString(b)) {
            return compareCodePoints(str(a), str(b));
        }
        List<?> x = a instanceof List<?> l ? l : a instanceof PyTuple t ? t.items() : null;
        List<?> y = b instanceof List<?> l ? l : b instanceof PyTuple t ? t.items() : null;
        if (x != null && y != null && (a instanceof List) == (b instanceof List)) {
            for (int i = 0; i < Math.min(x.size(), y.size()); i++) {
                if (!equal(x.get(i), y.get(i))) {
                    return compare(x.get(i), y.get(i), op);
                }
            }
            return Integer.compare(x.size(), y.size());
        }
        throw Errors.type("'" + op + "' not supported between instances of '" + typeName(a) + "' and '"
                + typeName(b) + "'");
    }

    static int compareCodePoints(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int x = a.codePointAt(i);
            int y = b.codePointAt(j);
            if (x != y) {
                return Integer.compare(x, y);
            }
            i += Character.charCount(x);
            j += Character.charCount(y);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }

    // ---- length, iteration, membership ----

    static int codePointLength(String s) {
        return s.codePointCount(0, s.length());
    }

    static long len(Object o) {
        if (o instanceof String s) {
            return codePointLength(s);
        }
        if (o instanceof Markup m) {
            return codePointLength(m.text());
        }
        if (o instanceof List<?> l) {
            return l.size();
        }
        if (o instanceof PyTuple t) {
            return t.items().size();
        }
        if (o instanceof Map<?, ?> m) {
            return m.size();
        }
        if (o instanceof Namespace) {
            throw Errors.type("object of type 'Namespace' has no len()");
        }
        if (o instanceof Undefined) {
            return 0;
        }
        throw Errors.type("object of type '" + typeName(o) + "' has no len()");
    }

    /** The items {@code for x in o} visits (consuming an iterator). */
    static List<Object> iterate(Object o) {
        if (o instanceof List<?> l) {
            @SuppressWarnings("unchecked") List<Object> items = (List<Object>) l;
            return items;
        }
        if (o instanceof PyTuple t) {
            return t.items();
        }
        if (o instanceof Map<?, ?> m) {
            return new ArrayList<>(m.keySet());
        }
        if (o instanceof String || o instanceof Markup) {
            String s = str(o);
            List<Object> chars = new ArrayList<>(s.length());
            // iterating a Markup yields plain str characters, as str.__iter__ does
            s.codePoints().forEach(cp -> chars.add(Character.toString(cp)));
            return chars;
        }
        if (o instanceof PyIterator it) {
            return new ArrayList<>(it.drain());
        }
        if (o instanceof Undefined) {
            return List.of();
        }
        throw Errors.type("'" + typeName(o) + "' object is not iterable");
    }

    static boolean contains(Object container, Object item) {
        if (container instanceof Undefined u) {
            return false;
        }
        if (isString(container)) {
            if (!isString(item)) {
                throw Errors.type("'in <string>' requires string as left operand, not " + typeName(item));
            }
            return str(container).contains(str(item));
        }
        if (container instanceof Map<?, ?> m) {
            if (item instanceof List || item instanceof Map || item instanceof Namespace) {
                throw Errors.type("unhashable type: '" + typeName(item) + "'");
            }
            return findKey(m, item) != NO_KEY;
        }
        if (container instanceof List || container instanceof PyTuple || container instanceof PyIterator) {
            for (Object o : iterate(container)) {
                if (equal(o, item)) {
                    return true;
                }
            }
            return false;
        }
        throw Errors.type("argument of type '" + typeName(container) + "' is not iterable");
    }

    // ---- strings ----

    /** Python's str.isspace for one char. */
    static boolean isSpace(char c) {
        return c == ' ' || (c >= '\t' && c <= '\r') || (c >= '\u001c' && c <= '\u001f') || c == '\u0085'
                || (c > 0x7f && Character.isSpaceChar(c));
    }

    static String strip(String s, String chars, boolean left, boolean right) {
        int b = 0;
        int e = s.length();
        if (left) {
            while (b < e && stripped(s.charAt(b), chars)) {
                b++;
            }
        }
        if (right) {
            while (e > b && stripped(s.charAt(e - 1), chars)) {
                e--;
            }
        }
        return s.substring(b, e);
    }

    private static boolean stripped(char c, String chars) {
        return chars == null ? isSpace(c) : chars.indexOf(c) >= 0;
    }

    static String rstrip(String s) {
        return strip(s, null, false, true);
    }

    /** Code point offsets of {@code s} when it holds surrogate pairs, else null (char offsets are code points). */
    static int[] codePoints(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.isSurrogate(s.charAt(i))) {
                return s.codePoints().toArray();
            }
        }
        return null;
    }

    static String substring(String s, int[] cps, int from, int to) {
        return cps == null ? s.substring(from, to) : new String(cps, from, to - from);
    }

    // ---- indexing and slicing ----

    /** Python's slice.indices: start, stop, step clamped to a sequence of {@code n} items. */
    static long[] sliceIndices(Object start, Object stop, Object step, long n) {
        long st = step == null ? 1 : asIndex(step);
        if (st == 0) {
            throw Errors.value("slice step cannot be zero");
        }
        long lo;
        long hi;
        if (st > 0) {
            lo = start == null ? 0 : clamp(asIndex(start), n, 0, n);
            hi = stop == null ? n : clamp(asIndex(stop), n, 0, n);
        } else {
            lo = start == null ? n - 1 : clamp(asIndex(start), n, -1, n - 1);
            hi = stop == null ? -1 : clamp(asIndex(stop), n, -1, n - 1);
        }
        return new long[] {lo, hi, st};
    }

    private static long clamp(long i, long n, long min, long max) {
        if (i < 0) {
            i += n;
        }
        return Math.max(min, Math.min(max, i));
    }

    static long asIndex(Object o) {
        if (isInt(o)) {
            return toLong(o);
        }
        throw Errors.type("slice indices must be integers or None or have an __index__ method");
    }

    static List<Integer> sliceOffsets(long[] idx) {
        List<Integer> out = new ArrayList<>();
        if (idx[2] > 0) {
            for (long i = idx[0]; i < idx[1]; i += idx[2]) {
                out.add((int) i);
            }
        } else {
            for (long i = idx[0]; i > idx[1]; i += idx[2]) {
                out.add((int) i);
            }
        }
        return out;
    }

    static Object slice(Object target, Object start, Object stop, Object step) {
        if (target instanceof Undefined u) {
            throw u.error();
        }
        if (isString(target)) {
            String s = str(target);
            int[] cps = codePoints(s);
            int n = cps == null ? s.length() : cps.length;
            long[] idx = sliceIndices(start, stop, step, n);
            StringBuilder sb = new StringBuilder();
            for (int i : sliceOffsets(idx)) {
                if (cps == null) {
                    sb.append(s.charAt(i));
                } else {
                    sb.appendCodePoint(cps[i]);
                }
            }
            return target instanceof Markup ? new Markup(sb.toString()) : sb.toString();
        }
        List<?> items = target instanceof List<?> l ? l : target instanceof PyTuple t ? t.items() : null;
        if (items == null) {
            if (target == null) {
                throw Errors.type("'NoneType' object is not subscriptable");
            }
            return Undefined.missing(target, "slice");
        }
        List<Object> out = new ArrayList<>();
        for (int i : sliceOffsets(sliceIndices(start, stop, step, items.size()))) {
            out.add(items.get(i));
        }
        return target instanceof PyTuple ? new PyTuple(out) : out;
    }
}
