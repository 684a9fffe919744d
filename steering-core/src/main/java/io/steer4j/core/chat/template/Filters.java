package io.steer4j.core.chat.template;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * jinja2's built-in filters as transformers' environment has them, with {@code tojson} replaced by transformers'
 * own ({@code json.dumps(ensure_ascii=False)}, no HTML escaping, keys unsorted). Filters jinja2 has but chat
 * templates do not use are known (so a template naming one parses, as in Python) and refused when applied.
 */
final class Filters {
    private Filters() {
    }

    private static final Set<String> SUPPORTED = Set.of("abs", "attr", "batch", "capitalize", "center", "count",
            "default", "d", "dictsort", "escape", "e", "first", "float", "forceescape", "format", "indent", "int",
            "items", "join", "last", "length", "list", "lower", "map", "max", "min", "reject", "rejectattr",
            "replace", "reverse", "round", "safe", "select", "selectattr", "slice", "sort", "string", "sum", "title",
            "tojson", "trim", "unique", "upper", "wordcount");
    private static final Set<String> UNSUPPORTED = Set.of("filesizeformat", "groupby", "pprint", "random",
            "striptags", "truncate", "urlencode", "urlize", "wordwrap", "xmlattr");

    static boolean exists(String name) {
        return SUPPORTED.contains(name) || UNSUPPORTED.contains(name);
    }

    private static Object arg(List<Object> args, Map<String, Object> kwargs, int i, String name, Object dflt) {
        if (i < args.size()) {
            return args.get(i);
        }
        return kwargs.containsKey(name) ? kwargs.get(name) : dflt;
    }

    /** Keeps Markup-ness of the input, as markupsafe's str methods do. */
    private static Object like(Object input, String out) {
        return input instanceof Markup ? new Markup(out) : out;
    }

    static Object apply(Renderer r, String name, Object v, List<Object> args, Map<String, Object> kwargs) {
        r.tick();
        switch (name) {
            case "abs" -> {
                if (Py.isInt(v)) {
                    return Math.abs(Py.toLong(v));
                }
                if (v instanceof Double d) {
                    return Math.abs(d);
                }
                throw Errors.type("bad operand type for abs(): '" + Py.typeName(v) + "'");
            }
            case "attr" -> {
                return Values.getattr(v, Py.str(arg(args, kwargs, 0, "name", "")));
            }
            case "batch" -> {
                long size = Py.toLong(arg(args, kwargs, 0, "linecount", 1L));
                if (size <= 0) {
                    throw Errors.value("batch size must be positive");
                }
                Object fill = arg(args, kwargs, 1, "fill_with", null);
                boolean doFill = args.size() > 1 || kwargs.containsKey("fill_with");
                List<Object> out = new ArrayList<>();
                List<Object> tmp = new ArrayList<>();
                for (Object item : Py.iterate(v)) {
                    if (tmp.size() == size) {
                        out.add(tmp);
                        tmp = new ArrayList<>();
                    }
                    tmp.add(item);
                }
                if (!tmp.isEmpty()) {
                    while (doFill && tmp.size() < size) {
                        tmp.add(fill);
                    }
                    out.add(tmp);
                }
                return new PyIterator(out);
            }
            case "capitalize" -> {
                return like(v, (String) Methods.call(r, Py.str(v), "capitalize", List.of(), Map.of()));
            }
            case "center" -> {
                return like(v, (String) Methods.call(r, Py.str(v), "center",
                        List.of(arg(args, kwargs, 0, "width", 80L)), Map.of()));
            }
            case "count", "length" -> {
                return Py.len(v);
            }
            case "default", "d" -> {
                Object dflt = arg(args, kwargs, 0, "default_value", "");
                boolean bool = Py.truthy(arg(args, kwargs, 1, "boolean", false));
                if (v instanceof Undefined || (bool && !Py.truthy(v))) {
                    return dflt;
                }
                return v;
            }
            case "dictsort" -> {
                if (v instanceof Undefined u) {
                    throw u.error();
                }
                if (!(v instanceof Map<?, ?> m)) {
                    throw Errors.of("AttributeError", "'" + Py.typeName(v) + "' object has no attribute 'items'");
                }
                boolean cs = Py.truthy(arg(args, kwargs, 0, "case_sensitive", false));
                String by = Py.str(arg(args, kwargs, 1, "by", "key"));
                boolean reverse = Py.truthy(arg(args, kwargs, 2, "reverse", false));
                int pos = by.equals("value") ? 1 : 0;
                List<Object> pairs = new ArrayList<>();
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    List<Object> p = new ArrayList<>(2);
                    p.add(e.getKey());
                    p.add(e.getValue());
                    pairs.add(new PyTuple(p));
                }
                Comparator<Object> c = (a, b) -> Py.compare(sortKey(((PyTuple) a).items().get(pos), cs),
                        sortKey(((PyTuple) b).items().get(pos), cs), "<");
                pairs.sort(reverse ? c.reversed() : c);
                return pairs;
            }
            case "escape", "e" -> {
                return Markup.escapeValue(v);
            }
            case "forceescape" -> {
                return new Markup(Markup.escape(Py.str(v)));
            }
            case "first" -> {
                if (v instanceof PyIterator it) {
                    return it.hasNext() ? it.take() : Undefined.hint("No first item, sequence was empty.");
                }
                List<Object> items = Py.iterate(v);
                return items.isEmpty() ? Undefined.hint("No first item, sequence was empty.") : items.get(0);
            }
            case "last" -> {
                if (!(v instanceof List || v instanceof PyTuple || v instanceof Map || Py.isString(v)
                        || v instanceof Undefined)) {
                    throw Errors.type("'" + Py.typeName(v) + "' object is not reversible");
                }
                List<Object> items = Py.iterate(v);
                return items.isEmpty() ? Undefined.hint("No last item, sequence was empty.")
                        : items.get(items.size() - 1);
            }
            case "float" -> {
                if (v instanceof Undefined u) {
                    throw u.error();
                }
                Object dflt = arg(args, kwargs, 0, "default", 0.0);
                if (Py.isNumber(v)) {
                    return Py.toDouble(v);
                }
                try {
                    return Double.parseDouble(Py.strip(Py.str(v), null, true, true).replace("_", ""));
                } catch (NumberFormatException ex) {
                    return dflt;
                }
            }
            case "int" -> {
                if (v instanceof Undefined u) {
                    throw u.error();
                }
                Object dflt = arg(args, kwargs, 0, "default", 0L);
                if (Py.isInt(v)) {
                    return Py.toLong(v);
                }
                if (v instanceof Double d) {
                    return (long) (double) d;
                }
                String s = Py.strip(Py.str(v), null, true, true).replace("_", "");
                try {
                    return Long.parseLong(s);
                } catch (NumberFormatException ex) {
                    try {
                        return (long) Double.parseDouble(s);
                    } catch (NumberFormatException ex2) {
                        return dflt;
                    }
                }
            }
            case "format" -> {
                return r.checked(PrintfFormat.format(Py.str(v), args));
            }
            case "indent" -> {
                Object w = arg(args, kwargs, 0, "width", 4L);
                String indention = Py.isString(w) ? Py.str(w) : " ".repeat((int) Math.min(Py.toLong(w), 1000));
                boolean first = Py.truthy(arg(args, kwargs, 1, "first", false));
                boolean blank = Py.truthy(arg(args, kwargs, 2, "blank", false));
                if (v instanceof List) {
                    throw Errors.of("AttributeError", "'list' object has no attribute 'splitlines'");
                }
                if (v instanceof PyTuple) {
                    throw Errors.type("can only concatenate tuple (not \"str\") to tuple");
                }
                if (v instanceof Undefined u) {
                    throw u.error();
                }
                if (!Py.isString(v) && !(v instanceof Undefined)) {
                    throw Errors.type("unsupported operand type(s) for +=: '" + Py.typeName(v) + "' and 'str'");
                }
                String s = Py.str(v) + "\n";
                @SuppressWarnings("unchecked")
                List<Object> lines = (List<Object>) Methods.call(r, s, "splitlines", List.of(), Map.of());
                StringBuilder rv = new StringBuilder();
                if (blank) {
                    for (int i = 0; i < lines.size(); i++) {
                        if (i > 0) {
                            rv.append('\n').append(indention);
                        }
                        rv.append(lines.get(i));
                    }
                } else {
                    rv.append(lines.isEmpty() ? "" : lines.get(0));
                    for (int i = 1; i < lines.size(); i++) {
                        String line = (String) lines.get(i);
                        rv.append('\n').append(line.isEmpty() ? "" : indention + line);
                    }
                }
                String out = first ? indention + rv : rv.toString();
                return like(v, r.checked(out));
            }
            case "items" -> {
                if (v instanceof Undefined) {
                    return new PyIterator(new ArrayList<>());
                }
                if (!(v instanceof Map<?, ?> m)) {
                    throw Errors.type("Can only get item pairs from a mapping.");
                }
                List<Object> out = new ArrayList<>();
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    List<Object> p = new ArrayList<>(2);
                    p.add(e.getKey());
                    p.add(e.getValue());
                    out.add(new PyTuple(p));
                }
                return new PyIterator(out);
            }
            case "join" -> {
                String sep = Py.str(arg(args, kwargs, 0, "d", ""));
                Object attribute = arg(args, kwargs, 1, "attribute", null);
                List<Object> items = Py.iterate(v);
                StringBuilder sb = new StringBuilder();
                for (int i = 0; i < items.size(); i++) {
                    Object item = attribute == null ? items.get(i) : attributeOf(items.get(i), attribute);
                    String s = Py.str(item);
                    r.charge(s.length() + sep.length(), true);
                    if (i > 0) {
                        sb.append(sep);
                    }
                    sb.append(s);
                    if (sb.length() > r.limits.maxStringLength()) {
                        r.charge(sb.length(), true);
                    }
                }
                return sb.toString();
            }
            case "list" -> {
                List<Object> out = new ArrayList<>(Py.iterate(v));
                r.charge(out.size(), false);
                return out;
            }
            case "lower" -> {
                return like(v, Py.str(v).toLowerCase(java.util.Locale.ROOT));
            }
            case "upper" -> {
                return like(v, Py.str(v).toUpperCase(java.util.Locale.ROOT));
            }
            case "title" -> {
                return jinjaTitle(Py.str(v)); // "".join(...) in jinja2: plain text
            }
            case "map" -> {
                List<Object> out = new ArrayList<>();
                if (!Py.truthy(v)) {
                    return new PyIterator(out); // jinja2 maps nothing over a false value (None included)
                }
                if (kwargs.containsKey("attribute")) {
                    Object attribute = kwargs.get("attribute");
                    Object dflt = kwargs.get("default");
                    for (Object item : Py.iterate(v)) {
                        Object a = attributeOf(item, attribute);
                        out.add(a instanceof Undefined && kwargs.containsKey("default") ? dflt : a);
                    }
                } else {
                    if (args.isEmpty()) {
                        throw Errors.of("FilterArgumentError", "map requires a filter argument");
                    }
                    String filter = Py.str(args.get(0));
                    if (!exists(filter)) {
                        throw Errors.of("TemplateRuntimeError", "No filter named '" + filter + "'.");
                    }
                    List<Object> rest = args.subList(1, args.size());
                    for (Object item : Py.iterate(v)) {
                        out.add(apply(r, filter, item, rest, kwargs));
                    }
                }
                return new PyIterator(out);
            }
            case "select", "reject", "selectattr", "rejectattr" -> {
                boolean attr = name.endsWith("attr");
                boolean keep = name.startsWith("select");
                int at = 0;
                Object attribute = null;
                if (attr) {
                    if (args.isEmpty()) {
                        throw Errors.type("Missing parameter for attribute name");
                    }
                    attribute = args.get(0);
                    at = 1;
                }
                String test = args.size() > at ? Py.str(args.get(at)) : null;
                if (test != null && !Tests.exists(test)) {
                    throw Errors.of("TemplateRuntimeError", "No test named '" + test + "'.");
                }
                List<Object> testArgs = args.size() > at + 1 ? args.subList(at + 1, args.size()) : List.of();
                List<Object> out = new ArrayList<>();
                if (!Py.truthy(v)) {
                    return new PyIterator(out); // jinja2 selects nothing from a false value (None included)
                }
                for (Object item : Py.iterate(v)) {
                    Object subject = attr ? attributeOf(item, attribute) : item;
                    boolean ok = test == null ? Py.truthy(subject) : Tests.apply(r, test, subject, testArgs);
                    if (ok == keep) {
                        out.add(item);
                    }
                }
                return new PyIterator(out);
            }
            case "max", "min" -> {
                boolean cs = Py.truthy(arg(args, kwargs, 0, "case_sensitive", false));
                Object attribute = arg(args, kwargs, 1, "attribute", null);
                List<Object> items = Py.iterate(v);
                if (items.isEmpty()) {
                    return Undefined.hint("No aggregated item, sequence was empty.");
                }
                Object best = items.get(0);
                for (Object item : items.subList(1, items.size())) {
                    Object a = sortKey(attribute == null ? item : attributeOf(item, attribute), cs);
                    Object b = sortKey(attribute == null ? best : attributeOf(best, attribute), cs);
                    int c = Py.compare(a, b, name.equals("max") ? ">" : "<");
                    if (name.equals("max") ? c > 0 : c < 0) {
                        best = item;
                    }
                }
                return best;
            }
            case "replace" -> {
                String old = Py.str(arg(args, kwargs, 0, "old", ""));
                String rep = Py.str(arg(args, kwargs, 1, "new", ""));
                Object count = arg(args, kwargs, 2, "count", null);
                // without autoescaping jinja2 replaces on str(value): the result is plain text, even from Markup
                return r.checked(Methods.replace(r, Py.str(v), old, rep, count == null ? -1 : Py.toLong(count)));
            }
            case "reverse" -> {
                if (Py.isString(v)) {
                    return like(v, new StringBuilder(Py.str(v)).reverse().toString());
                }
                if (!(v instanceof List || v instanceof PyTuple || v instanceof Map || v instanceof PyIterator
                        || v instanceof Undefined)) {
                    throw Errors.of("FilterArgumentError", "argument must be iterable");
                }
                List<Object> out = new ArrayList<>(Py.iterate(v));
                java.util.Collections.reverse(out);
                return new PyIterator(out);
            }
            case "round" -> {
                long precision = Py.toLong(arg(args, kwargs, 0, "precision", 0L));
                String method = Py.str(arg(args, kwargs, 1, "method", "common"));
                if (!Py.isNumber(v)) {
                    throw Errors.type("type " + Py.typeName(v) + " doesn't define __round__ method");
                }
                if (Py.isInt(v) && method.equals("common")) {
                    return Py.toLong(v); // Python's round(int, n) is the int
                }
                double d = Py.toDouble(v);
                RoundingMode mode = switch (method) {
                    case "common" -> RoundingMode.HALF_EVEN;
                    case "ceil" -> RoundingMode.CEILING;
                    case "floor" -> RoundingMode.FLOOR;
                    default -> throw Errors.of("FilterArgumentError", "method must be common, ceil or floor");
                };
                if (Double.isNaN(d) || Double.isInfinite(d)) {
                    return d;
                }
                return new BigDecimal(d).setScale((int) precision, mode).doubleValue();
            }
            case "safe" -> {
                return v instanceof Markup ? v : new Markup(Py.str(v));
            }
            case "slice" -> {
                long slices = Py.toLong(arg(args, kwargs, 0, "slices", 1L));
                if (slices <= 0 || slices > r.limits.maxListLength()) {
                    throw Errors.value("slice count out of range");
                }
                Object fill = arg(args, kwargs, 1, "fill_with", null);
                boolean doFill = args.size() > 1 || kwargs.containsKey("fill_with");
                List<Object> seq = Py.iterate(v);
                int length = seq.size();
                int perSlice = (int) (length / slices);
                int withExtra = (int) (length % slices);
                int offset = 0;
                List<Object> out = new ArrayList<>();
                for (int i = 0; i < slices; i++) {
                    int start = offset + i * perSlice;
                    if (i < withExtra) {
                        offset++;
                    }
                    int end = offset + (i + 1) * perSlice;
                    List<Object> tmp = new ArrayList<>(seq.subList(start, end));
                    if (doFill && i >= withExtra) {
                        tmp.add(fill);
                    }
                    out.add(tmp);
                }
                return new PyIterator(out);
            }
            case "sort" -> {
                boolean reverse = Py.truthy(arg(args, kwargs, 0, "reverse", false));
                boolean cs = Py.truthy(arg(args, kwargs, 1, "case_sensitive", false));
                Object attribute = arg(args, kwargs, 2, "attribute", null);
                List<Object> out = new ArrayList<>(Py.iterate(v));
                Comparator<Object> c = (a, b) -> Py.compare(
                        sortKey(attribute == null ? a : attributeOf(a, attribute), cs),
                        sortKey(attribute == null ? b : attributeOf(b, attribute), cs), "<");
                out.sort(reverse ? c.reversed() : c);
                return out;
            }
            case "string" -> {
                return v instanceof Markup ? v : Py.str(v);
            }
            case "sum" -> {
                Object attribute = arg(args, kwargs, 0, "attribute", null);
                Object total = arg(args, kwargs, 1, "start", 0L);
                for (Object item : Py.iterate(v)) {
                    total = Operators.binary(r, "+", total, attribute == null ? item : attributeOf(item, attribute));
                }
                return total;
            }
            case "tojson" -> {
                Object indent = arg(args, kwargs, 1, "indent", null);
                Object separators = arg(args, kwargs, 2, "separators", null);
                boolean sortKeys = Py.truthy(arg(args, kwargs, 3, "sort_keys", false));
                boolean ensureAscii = Py.truthy(arg(args, kwargs, 0, "ensure_ascii", false));
                return PythonJson.dumps(r, v, indent, separators, sortKeys, ensureAscii);
            }
            case "trim" -> {
                Object chars = arg(args, kwargs, 0, "chars", null);
                return like(v, Py.strip(Py.str(v), chars == null ? null : Py.str(chars), true, true));
            }
            case "unique" -> {
                boolean cs = Py.truthy(arg(args, kwargs, 0, "case_sensitive", false));
                Object attribute = arg(args, kwargs, 1, "attribute", null);
                List<Object> seen = new ArrayList<>();
                List<Object> out = new ArrayList<>();
                for (Object item : Py.iterate(v)) {
                    Object key = sortKey(attribute == null ? item : attributeOf(item, attribute), cs);
                    Values.requireHashable(key);
                    boolean dup = false;
                    for (Object s : seen) {
                        if (Py.equal(s, key)) {
                            dup = true;
                            break;
                        }
                    }
                    if (!dup) {
                        seen.add(key);
                        out.add(item);
                    }
                }
                return new PyIterator(out);
            }
            case "wordcount" -> {
                long n = 0;
                boolean inWord = false;
                String s = Py.str(v);
                for (int i = 0; i < s.length(); i++) {
                    char c = s.charAt(i);
                    boolean w = Character.isLetterOrDigit(c) || c == '_';
                    if (w && !inWord) {
                        n++;
                    }
                    inWord = w;
                }
                return n;
            }
            default -> throw Errors.of("TemplateRuntimeError", "the filter '" + name
                    + "' is not supported by steer4j's chat templates");
        }
    }

    /** jinja2's title filter: capitalises after spaces and {@code -({[<}, unlike str.title. */
    private static String jinjaTitle(String s) {
        StringBuilder out = new StringBuilder();
        boolean start = true;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean sep = Py.isSpace(c) || "-({[<".indexOf(c) >= 0;
            if (sep) {
                out.append(c);
                start = true;
            } else {
                out.append(start ? Character.toUpperCase(c) : Character.toLowerCase(c));
                start = false;
            }
        }
        return out.toString();
    }

    /** jinja2's ignore_case for sorting: strings lowered unless case-sensitive. */
    private static Object sortKey(Object v, boolean caseSensitive) {
        if (caseSensitive || !Py.isString(v)) {
            return v;
        }
        String lower = Py.str(v).toLowerCase(java.util.Locale.ROOT);
        return v instanceof Markup ? new Markup(lower) : lower;
    }

    /** jinja2's make_attrgetter: a dotted path of attributes or integer items. */
    private static Object attributeOf(Object item, Object attribute) {
        if (Py.isInt(attribute)) {
            return Values.getitem(item, attribute);
        }
        Object v = item;
        for (String part : Py.str(attribute).split("\\.")) {
            Object key = part.chars().allMatch(Character::isDigit) && !part.isEmpty() ? (Object) Long.parseLong(part)
                    : part;
            v = Values.getitem(v, key);
        }
        return v;
    }
}
