package io.steer4j.core.chat.template;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The values a template sees and how it may reach into them. Input from Java is copied into Python's types (maps,
 * lists, strings, longs, doubles, booleans, null): no Java object, method or property is ever reachable. Attribute
 * and item access follow jinja2's sandbox: an attribute of a dict is its Python method first, then its key; item
 * access is the key first; names starting with {@code _} and methods that mutate lists and dicts are unsafe.
 */
final class Values {
    private Values() {
    }

    static final Set<String> STR_METHODS = Set.of("strip", "lstrip", "rstrip", "split", "rsplit", "splitlines",
            "startswith", "endswith", "replace", "title", "upper", "lower", "capitalize", "swapcase", "casefold",
            "find", "rfind", "index", "rindex", "count", "isdigit", "isalpha", "isalnum", "isspace", "isupper",
            "islower", "isnumeric", "isdecimal", "istitle", "join", "partition", "rpartition", "zfill", "center",
            "ljust", "rjust", "removeprefix", "removesuffix", "format");
    static final Set<String> DICT_METHODS = Set.of("keys", "values", "items", "get", "copy");
    static final Set<String> DICT_MUTATORS = Set.of("pop", "popitem", "setdefault", "update", "clear");
    static final Set<String> LIST_METHODS = Set.of("index", "count", "copy");
    static final Set<String> LIST_MUTATORS = Set.of("append", "extend", "insert", "pop", "remove", "reverse", "sort",
            "clear");

    /** A Java value as the template sees it: a copy in Python's types, refusing anything else. */
    static Object fromJava(Object v) {
        return fromJava(v, 0);
    }

    private static Object fromJava(Object v, int depth) {
        if (depth > 100) {
            throw new IllegalArgumentException("template variables nest deeper than 100 levels");
        }
        if (v == null || v instanceof String || v instanceof Boolean || v instanceof Long || v instanceof Double) {
            return v;
        }
        if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
            return ((Number) v).longValue();
        }
        if (v instanceof Float f) {
            return f.doubleValue();
        }
        if (v instanceof java.math.BigInteger b) {
            if (b.bitLength() > 63) {
                throw new IllegalArgumentException("a template variable holds an integer beyond 64 bits");
            }
            return b.longValue();
        }
        if (v instanceof java.math.BigDecimal b) {
            return b.doubleValue();
        }
        if (v instanceof CharSequence cs) {
            return cs.toString();
        }
        if (v instanceof Map<?, ?> m) {
            Map<Object, Object> out = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                out.put(fromJava(e.getKey(), depth + 1), fromJava(e.getValue(), depth + 1));
            }
            return out;
        }
        if (v instanceof Collection<?> c) {
            List<Object> out = new ArrayList<>(c.size());
            for (Object o : c) {
                out.add(fromJava(o, depth + 1));
            }
            return out;
        }
        if (v instanceof Object[] a) {
            return fromJava(List.of(a), depth);
        }
        throw new IllegalArgumentException("a template variable holds a " + v.getClass().getSimpleName()
                + ": only maps, lists, strings, numbers, booleans and null can be passed to a chat template");
    }

    static void requireHashable(Object k) {
        if (k instanceof List || k instanceof Map || k instanceof Namespace) {
            throw Errors.type("unhashable type: '" + Py.typeName(k) + "'");
        }
    }

    /** {@code obj.name} as the sandbox resolves it. */
    static Object getattr(Object obj, String name) {
        if (obj instanceof Undefined u) {
            throw u.error();
        }
        if (name.startsWith("_")) {
            return Undefined.unsafe(obj, name);
        }
        if (obj instanceof Namespace ns) {
            Object v = ns.attributes.get(name);
            return v != null || ns.attributes.containsKey(name) ? v : Undefined.missing(obj, name);
        }
        if (obj instanceof LoopContext l) {
            return l.attribute(name);
        }
        if (Py.isString(obj) && STR_METHODS.contains(name)) {
            return new BoundMethod(obj, name);
        }
        if (obj instanceof Map<?, ?> m) {
            if (DICT_METHODS.contains(name)) {
                return new BoundMethod(obj, name);
            }
            if (DICT_MUTATORS.contains(name)) {
                return Undefined.unsafe(obj, name);
            }
            Object k = Py.findKey(m, name);
            return k == Py.NO_KEY ? Undefined.missing(obj, name) : m.get(k);
        }
        if (obj instanceof List && LIST_METHODS.contains(name)) {
            return new BoundMethod(obj, name);
        }
        if (obj instanceof List && LIST_MUTATORS.contains(name)) {
            return Undefined.unsafe(obj, name);
        }
        if (obj instanceof PyTuple && (name.equals("index") || name.equals("count"))) {
            return new BoundMethod(obj, name);
        }
        return Undefined.missing(obj, name);
    }

    /** {@code obj[key]} as the sandbox resolves it. */
    static Object getitem(Object obj, Object key) {
        if (obj instanceof Undefined u) {
            throw u.error();
        }
        if (obj instanceof Map<?, ?> m) {
            Object k = Py.findKey(m, key);
            if (k != Py.NO_KEY) {
                return m.get(k);
            }
        } else if (Py.isInt(key) && (obj instanceof List || obj instanceof PyTuple || Py.isString(obj))) {
            long i = Py.toLong(key);
            if (Py.isString(obj)) {
                String s = Py.str(obj);
                int[] cps = Py.codePoints(s);
                int n = cps == null ? s.length() : cps.length;
                long j = i < 0 ? i + n : i;
                if (j >= 0 && j < n) {
                    String c = Py.substring(s, cps, (int) j, (int) j + 1);
                    return obj instanceof Markup ? new Markup(c) : c;
                }
            } else {
                List<?> l = obj instanceof PyTuple t ? t.items() : (List<?>) obj;
                long j = i < 0 ? i + l.size() : i;
                if (j >= 0 && j < l.size()) {
                    return l.get((int) j);
                }
            }
        } else if (obj instanceof LoopContext || obj instanceof Namespace) {
            if (key instanceof String s) {
                return getattr(obj, s);
            }
        }
        if (key instanceof String s) {
            Object attr = getattr(obj, s);
            if (!(attr instanceof Undefined)) {
                return attr;
            }
        }
        return Undefined.missing(obj, key);
    }
}
