package io.steer4j.core.chat.template;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Python methods a template may call on values: str's (as Python defines them, on code points), and the
 * read-only methods of dict and list. Methods of Markup return Markup, as markupsafe's do.
 */
final class Methods {
    private Methods() {
    }

    static Object call(Renderer r, Object self, String name, List<Object> args, Map<String, Object> kwargs) {
        if (Py.isString(self)) {
            Object out = string(r, Py.str(self), name, args, kwargs);
            if (self instanceof Markup && !name.equals("format")) {
                return markup(out);
            }
            return out;
        }
        if (self instanceof Map<?, ?> m) {
            return dict(m, name, args);
        }
        List<?> l = self instanceof PyTuple t ? t.items() : (List<?>) self;
        switch (name) {
            case "index" -> {
                for (int i = 0; i < l.size(); i++) {
                    if (Py.equal(l.get(i), arg(args, 0))) {
                        return (long) i;
                    }
                }
                throw Errors.value(self instanceof PyTuple ? "tuple.index(x): x not in tuple"
                        : Py.repr(arg(args, 0)) + " is not in list");
            }
            case "count" -> {
                long n = 0;
                for (Object o : l) {
                    if (Py.equal(o, arg(args, 0))) {
                        n++;
                    }
                }
                return n;
            }
            default -> {
                return new ArrayList<>(l);
            }
        }
    }

    /** markupsafe's methods return Markup, also inside the lists and tuples split and partition return. */
    @SuppressWarnings("unchecked")
    private static Object markup(Object out) {
        if (out instanceof String s) {
            return new Markup(s);
        }
        if (out instanceof List<?> l) {
            List<Object> m = new ArrayList<>(l.size());
            l.forEach(o -> m.add(markup(o)));
            return m;
        }
        if (out instanceof PyTuple t) {
            return new PyTuple((List<Object>) markup(t.items()));
        }
        return out;
    }

    private static Object arg(List<Object> args, int i) {
        if (i >= args.size()) {
            throw Errors.type("a method is missing its argument " + (i + 1));
        }
        return args.get(i);
    }

    private static Object opt(List<Object> args, Map<String, Object> kwargs, int i, String name) {
        if (i < args.size()) {
            return args.get(i);
        }
        return kwargs.getOrDefault(name, null);
    }

    private static Object dict(Map<?, ?> m, String name, List<Object> args) {
        switch (name) {
            case "keys" -> {
                return new ArrayList<Object>(m.keySet());
            }
            case "values" -> {
                return new ArrayList<Object>(m.values());
            }
            case "items" -> {
                List<Object> fixed = new ArrayList<>();
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    List<Object> pair = new ArrayList<>(2);
                    pair.add(e.getKey());
                    pair.add(e.getValue());
                    fixed.add(new PyTuple(pair));
                }
                return fixed;
            }
            case "get" -> {
                Object k = Py.findKey(m, arg(args, 0));
                return k == Py.NO_KEY ? (args.size() > 1 ? args.get(1) : null) : m.get(k);
            }
            default -> {
                return new LinkedHashMap<>(m);
            }
        }
    }

    /** A str argument, refused with the message CPython gives for that method. */
    private static String strArg(Object o, String method) {
        if (Py.isString(o)) {
            return Py.str(o);
        }
        if (o instanceof Undefined u) {
            throw u.error();
        }
        String type = Py.typeName(o);
        throw Errors.type(switch (method) {
            case "strip", "lstrip", "rstrip" -> method + " arg must be None or str";
            case "split", "rsplit" -> "must be str or None, not " + type;
            case "replace" -> "replace() argument must be str, not " + type;
            case "partition", "rpartition", "removeprefix", "removesuffix" -> method + "() argument must be str, not "
                    + type;
            default -> "must be str, not " + type;
        });
    }

    private static Object string(Renderer r, String s, String name, List<Object> args, Map<String, Object> kwargs) {
        switch (name) {
            case "strip", "lstrip", "rstrip" -> {
                Object chars = opt(args, kwargs, 0, "chars");
                String cs = chars == null ? null : strArg(chars, name);
                return Py.strip(s, cs, !name.equals("rstrip"), !name.equals("lstrip"));
            }
            case "split", "rsplit" -> {
                Object sep = opt(args, kwargs, 0, "sep");
                Object max = opt(args, kwargs, 1, "maxsplit");
                long maxsplit = max == null ? -1 : Py.toLong(max);
                List<Object> parts = sep == null ? splitWhitespace(s, maxsplit, name.equals("rsplit"))
                        : splitOn(s, strArg(sep, name), maxsplit, name.equals("rsplit"));
                r.charge(parts.size(), false);
                return parts;
            }
            case "splitlines" -> {
                boolean keep = Py.truthy(opt(args, kwargs, 0, "keepends"));
                List<Object> out = new ArrayList<>();
                int start = 0;
                for (int i = 0; i < s.length(); i++) {
                    char c = s.charAt(i);
                    if (c == '\n' || c == '\r' || c == '\u000b' || c == '\f' || (c >= '\u001c' && c <= '\u001e')
                            || c == '\u0085' || c == '\u2028' || c == '\u2029') {
                        int end = i;
                        if (c == '\r' && i + 1 < s.length() && s.charAt(i + 1) == '\n') {
                            i++;
                        }
                        out.add(s.substring(start, keep ? i + 1 : end));
                        start = i + 1;
                    }
                }
                if (start < s.length()) {
                    out.add(s.substring(start));
                }
                return out;
            }
            case "startswith", "endswith" -> {
                Object p = arg(args, 0);
                List<Object> options = p instanceof PyTuple t ? t.items() : List.of(p);
                for (Object o : options) {
                    if (!Py.isString(o)) {
                        throw Errors.type(name + " first arg must be str or a tuple of str, not " + Py.typeName(o));
                    }
                    if (name.equals("startswith") ? s.startsWith(Py.str(o)) : s.endsWith(Py.str(o))) {
                        return true;
                    }
                }
                return false;
            }
            case "replace" -> {
                String old = strArg(arg(args, 0), name);
                String rep = strArg(arg(args, 1), name);
                Object c = opt(args, kwargs, 2, "count");
                long count = c == null ? -1 : Py.toLong(c);
                return r.checked(replace(r, s, old, rep, count));
            }
            case "title" -> {
                StringBuilder sb = new StringBuilder();
                boolean prevCased = false;
                for (int i = 0; i < s.length(); ) {
                    int cp = s.codePointAt(i);
                    i += Character.charCount(cp);
                    boolean cased = Character.isUpperCase(cp) || Character.isLowerCase(cp) || Character.isTitleCase(cp);
                    sb.appendCodePoint(prevCased ? Character.toLowerCase(cp) : Character.toTitleCase(cp));
                    prevCased = cased;
                }
                return sb.toString();
            }
            case "upper" -> {
                return s.toUpperCase(java.util.Locale.ROOT);
            }
            case "lower" -> {
                return s.toLowerCase(java.util.Locale.ROOT);
            }
            case "casefold" -> {
                return s.toLowerCase(java.util.Locale.ROOT);
            }
            case "capitalize" -> {
                if (s.isEmpty()) {
                    return s;
                }
                int first = s.codePointAt(0);
                return new StringBuilder().appendCodePoint(Character.toTitleCase(first))
                        .append(s.substring(Character.charCount(first)).toLowerCase(java.util.Locale.ROOT)).toString();
            }
            case "swapcase" -> {
                StringBuilder sb = new StringBuilder();
                s.codePoints().forEach(cp -> sb.appendCodePoint(Character.isUpperCase(cp) ? Character.toLowerCase(cp)
                        : Character.toUpperCase(cp)));
                return sb.toString();
            }
            case "find", "rfind", "index", "rindex" -> {
                String sub = strArg(arg(args, 0), name);
                int at = name.startsWith("r") ? s.lastIndexOf(sub) : s.indexOf(sub);
                if (at < 0 && name.contains("index")) {
                    throw Errors.value("substring not found");
                }
                return at < 0 ? -1L : (long) s.codePointCount(0, at);
            }
            case "count" -> {
                String sub = strArg(arg(args, 0), name);
                if (sub.isEmpty()) {
                    return (long) Py.codePointLength(s) + 1;
                }
                long n = 0;
                for (int at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length())) {
                    n++;
                }
                return n;
            }
            case "isdigit", "isnumeric", "isdecimal" -> {
                return !s.isEmpty() && s.codePoints().allMatch(Character::isDigit);
            }
            case "isalpha" -> {
                return !s.isEmpty() && s.codePoints().allMatch(Character::isLetter);
            }
            case "isalnum" -> {
                return !s.isEmpty() && s.codePoints().allMatch(Character::isLetterOrDigit);
            }
            case "isspace" -> {
                return !s.isEmpty() && s.chars().allMatch(c -> Py.isSpace((char) c));
            }
            case "isupper", "islower" -> {
                boolean anyCased = false;
                for (int i = 0; i < s.length(); i++) {
                    char c = s.charAt(i);
                    if (Character.isUpperCase(c) || Character.isLowerCase(c)) {
                        anyCased = true;
                        if (name.equals("isupper") ? Character.isLowerCase(c) : Character.isUpperCase(c)) {
                            return false;
                        }
                    }
                }
                return anyCased;
            }
            case "istitle" -> {
                return !s.isEmpty() && s.equals(string(r, s, "title", List.of(), Map.of()));
            }
            case "join" -> {
                List<Object> items = Py.iterate(arg(args, 0));
                long total = 0;
                StringBuilder sb = new StringBuilder();
                for (int i = 0; i < items.size(); i++) {
                    Object o = items.get(i);
                    if (!Py.isString(o)) {
                        throw Errors.type("sequence item " + i + ": expected str instance, " + Py.typeName(o)
                                + " found");
                    }
                    total += Py.str(o).length() + (i > 0 ? s.length() : 0);
                    r.charge(Py.str(o).length() + s.length(), true);
                    if (total > r.limits.maxStringLength()) {
                        r.charge(total, true);
                    }
                    if (i > 0) {
                        sb.append(s);
                    }
                    sb.append(Py.str(o));
                }
                return sb.toString();
            }
            case "partition", "rpartition" -> {
                String sep = strArg(arg(args, 0), name);
                int at = name.equals("partition") ? s.indexOf(sep) : s.lastIndexOf(sep);
                if (at < 0) {
                    return name.equals("partition") ? new PyTuple(List.of(s, "", "")) : new PyTuple(List.of("", "", s));
                }
                return new PyTuple(List.of(s.substring(0, at), sep, s.substring(at + sep.length())));
            }
            case "zfill", "center", "ljust", "rjust" -> {
                long width = Py.toLong(arg(args, 0));
                String fill = args.size() > 1 ? Py.str(args.get(1)) : name.equals("zfill") ? "0" : " ";
                long len = Py.codePointLength(s);
                if (width <= len) {
                    return s;
                }
                r.charge(width, true);
                int pad = (int) (width - len);
                return switch (name) {
                    case "ljust" -> s + fill.repeat(pad);
                    case "rjust" -> fill.repeat(pad) + s;
                    case "zfill" -> (s.startsWith("-") || s.startsWith("+")) ? s.charAt(0) + "0".repeat(pad)
                            + s.substring(1) : "0".repeat(pad) + s;
                    default -> {
                        int left = pad / 2 + (pad & (int) width & 1);
                        yield fill.repeat(left) + s + fill.repeat(pad - left);
                    }
                };
            }
            case "removeprefix" -> {
                String p = strArg(arg(args, 0), name);
                return s.startsWith(p) ? s.substring(p.length()) : s;
            }
            case "removesuffix" -> {
                String p = strArg(arg(args, 0), name);
                return !p.isEmpty() && s.endsWith(p) ? s.substring(0, s.length() - p.length()) : s;
            }
            case "format" -> {
                return r.checked(braceFormat(s, args, kwargs));
            }
            default -> throw Errors.type("str." + name + " is not supported");
        }
    }

    static String replace(Renderer r, String s, String old, String rep, long count) {
        if (old.isEmpty()) {
            r.charge((long) (s.length() + 1) * rep.length() + s.length(), true);
        } else if (rep.length() > old.length()) {
            long n = 0;
            for (int at = s.indexOf(old); at >= 0 && (count < 0 || n < count); at = s.indexOf(old, at + old.length())) {
                n++;
            }
            r.charge(s.length() + n * (rep.length() - old.length()), true);
        }
        if (count < 0) {
            if (old.isEmpty()) {
                StringBuilder sb = new StringBuilder(rep);
                s.codePoints().forEach(cp -> sb.appendCodePoint(cp).append(rep));
                return sb.toString();
            }
            return s.replace(old, rep);
        }
        StringBuilder sb = new StringBuilder();
        int from = 0;
        for (long n = 0; n < count; n++) {
            int at = s.indexOf(old, from);
            if (at < 0) {
                break;
            }
            sb.append(s, from, at).append(rep);
            from = at + old.length();
            if (old.isEmpty()) {
                if (from < s.length()) {
                    sb.append(s.charAt(from));
                }
                from++;
                if (from > s.length()) {
                    break;
                }
            }
        }
        if (from <= s.length()) {
            sb.append(s.substring(Math.min(from, s.length())));
        }
        return sb.toString();
    }

    private static List<Object> splitWhitespace(String s, long maxsplit, boolean fromRight) {
        List<Object> out = new ArrayList<>();
        if (!fromRight) {
            int i = 0;
            int n = s.length();
            while (true) {
                while (i < n && Py.isSpace(s.charAt(i))) {
                    i++;
                }
                if (i >= n) {
                    break;
                }
                if (maxsplit >= 0 && out.size() >= maxsplit) {
                    out.add(Py.rstrip(s.substring(i)));
                    break;
                }
                int j = i;
                while (j < n && !Py.isSpace(s.charAt(j))) {
                    j++;
                }
                out.add(s.substring(i, j));
                i = j;
            }
            return out;
        }
        int j = s.length();
        while (true) {
            while (j > 0 && Py.isSpace(s.charAt(j - 1))) {
                j--;
            }
            if (j <= 0) {
                break;
            }
            if (maxsplit >= 0 && out.size() >= maxsplit) {
                out.add(0, Py.strip(s.substring(0, j), null, true, false));
                break;
            }
            int i = j;
            while (i > 0 && !Py.isSpace(s.charAt(i - 1))) {
                i--;
            }
            out.add(0, s.substring(i, j));
            j = i;
        }
        return out;
    }

    private static List<Object> splitOn(String s, String sep, long maxsplit, boolean fromRight) {
        if (sep.isEmpty()) {
            throw Errors.value("empty separator");
        }
        List<Object> out = new ArrayList<>();
        if (!fromRight) {
            int from = 0;
            while (maxsplit < 0 || out.size() < maxsplit) {
                int at = s.indexOf(sep, from);
                if (at < 0) {
                    break;
                }
                out.add(s.substring(from, at));
                from = at + sep.length();
            }
            out.add(s.substring(from));
            return out;
        }
        int to = s.length();
        while (maxsplit < 0 || out.size() < maxsplit) {
            int at = s.lastIndexOf(sep, to - sep.length());
            if (at < 0) {
                break;
            }
            out.add(0, s.substring(at + sep.length(), to));
            to = at;
        }
        out.add(0, s.substring(0, to));
        return out;
    }

    /** str.format with {@code {}}, {@code {0}} and {@code {name}} fields (no format specs beyond none). */
    private static String braceFormat(String s, List<Object> args, Map<String, Object> kwargs) {
        StringBuilder out = new StringBuilder();
        int auto = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '{') {
                if (i + 1 < s.length() && s.charAt(i + 1) == '{') {
                    out.append('{');
                    i++;
                    continue;
                }
                int end = s.indexOf('}', i);
                if (end < 0) {
                    throw Errors.value("Single '{' encountered in format string");
                }
                String field = s.substring(i + 1, end);
                if (field.contains(":") || field.contains("!") || field.contains(".") || field.contains("[")) {
                    throw Errors.value("str.format field options are not supported by steer4j");
                }
                Object v;
                if (field.isEmpty()) {
                    if (auto >= args.size()) {
                        throw Errors.of("IndexError", "Replacement index " + auto + " out of range for positional args tuple");
                    }
                    v = args.get(auto++);
                } else if (field.chars().allMatch(Character::isDigit)) {
                    int k = Integer.parseInt(field);
                    if (k >= args.size()) {
                        throw Errors.of("IndexError", "Replacement index " + k + " out of range for positional args tuple");
                    }
                    v = args.get(k);
                } else {
                    if (!kwargs.containsKey(field)) {
                        throw Errors.of("KeyError", Py.repr(field));
                    }
                    v = kwargs.get(field);
                }
                out.append(Py.str(v));
                i = end;
            } else if (c == '}') {
                if (i + 1 < s.length() && s.charAt(i + 1) == '}') {
                    i++;
                }
                out.append('}');
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
