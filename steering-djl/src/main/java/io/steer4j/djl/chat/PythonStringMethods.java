package io.steer4j.djl.chat;

import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Python's {@code str} methods that chat templates call ({@code content.strip()}, {@code .startswith('<tool')},
 * {@code .split('</think>')}, {@code .lstrip('\n')}, ...). Jinjava resolves a method call on a string to
 * {@link String}'s Java methods, which have other names ({@code startsWith}) or other semantics ({@code split} takes a
 * regex and returns an array), so these are answered here first; other calls go on to Jinjava's resolver.
 */
final class PythonStringMethods extends ELResolver {
    static final Set<String> METHODS = Set.of("strip", "lstrip", "rstrip", "startswith", "endswith", "split", "upper",
            "lower", "title", "capitalize", "join", "count", "find", "replace", "isspace", "isdigit", "isalpha");

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        if (!(base instanceof String s) || method == null || !METHODS.contains(method.toString())) {
            return null;
        }
        Object[] p = params == null ? new Object[0] : params;
        Object result = call(s, method.toString(), p);
        context.setPropertyResolved(true);
        return result;
    }

    private static Object call(String s, String name, Object[] p) {
        return switch (name) {
            case "strip" -> strip(s, chars(p, name), true, true);
            case "lstrip" -> strip(s, chars(p, name), true, false);
            case "rstrip" -> strip(s, chars(p, name), false, true);
            case "startswith" -> affix(s, arg(p, 0, name), true);
            case "endswith" -> affix(s, arg(p, 0, name), false);
            case "split" -> split(s, p.length > 0 ? p[0] : null, p.length > 1 ? ((Number) p[1]).intValue() : -1);
            case "upper" -> s.toUpperCase(java.util.Locale.ROOT);
            case "lower" -> s.toLowerCase(java.util.Locale.ROOT);
            case "title" -> title(s);
            case "capitalize" -> s.isEmpty() ? s
                    : s.substring(0, 1).toUpperCase(java.util.Locale.ROOT) + s.substring(1).toLowerCase(java.util.Locale.ROOT);
            case "join" -> join(s, arg(p, 0, name));
            case "count" -> count(s, String.valueOf(arg(p, 0, name)));
            case "find" -> s.indexOf(String.valueOf(arg(p, 0, name)));
            case "replace" -> p.length > 2
                    ? replace(s, String.valueOf(p[0]), String.valueOf(p[1]), ((Number) p[2]).intValue())
                    : s.replace(String.valueOf(arg(p, 0, name)), String.valueOf(arg(p, 1, name)));
            case "isspace" -> !s.isEmpty() && s.chars().allMatch(PythonStringMethods::isPythonSpace);
            case "isdigit" -> !s.isEmpty() && s.chars().allMatch(Character::isDigit);
            case "isalpha" -> !s.isEmpty() && s.chars().allMatch(Character::isLetter);
            default -> throw new IllegalStateException(name);
        };
    }

    private static Object arg(Object[] p, int i, String name) {
        if (p.length <= i) {
            throw new ChatTemplateException("str." + name + "() needs " + (i + 1) + " argument(s)");
        }
        return p[i];
    }

    private static String chars(Object[] p, String name) {
        if (p.length > 1) {
            throw new ChatTemplateException("str." + name + "() takes at most one argument");
        }
        return p.length == 0 || p[0] == null ? null : p[0].toString();
    }

    /** Python's {@code str.isspace()} per character (Java's isWhitespace leaves out no-break spaces). */
    static boolean isPythonSpace(int c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == 0x85;
    }

    static String strip(String s, String chars, boolean left, boolean right) {
        int from = 0;
        int to = s.length();
        while (left && from < to && stripped(s.charAt(from), chars)) {
            from++;
        }
        while (right && to > from && stripped(s.charAt(to - 1), chars)) {
            to--;
        }
        return s.substring(from, to);
    }

    private static boolean stripped(char c, String chars) {
        return chars == null ? isPythonSpace(c) : chars.indexOf(c) >= 0;
    }

    private static boolean affix(String s, Object what, boolean prefix) {
        Collection<?> options = what instanceof Collection<?> c ? c : List.of(String.valueOf(what));
        for (Object o : options) {
            String a = String.valueOf(o);
            if (prefix ? s.startsWith(a) : s.endsWith(a)) {
                return true;
            }
        }
        return false;
    }

    private static List<String> split(String s, Object sep, int maxSplit) {
        List<String> out = new ArrayList<>();
        if (sep == null) {
            // no separator: runs of whitespace, no empty strings
            int i = 0;
            int n = s.length();
            while (i < n) {
                while (i < n && isPythonSpace(s.charAt(i))) {
                    i++;
                }
                if (i >= n) {
                    break;
                }
                if (maxSplit >= 0 && out.size() == maxSplit) {
                    out.add(strip(s.substring(i), null, false, true));
                    return out;
                }
                int j = i;
                while (j < n && !isPythonSpace(s.charAt(j))) {
                    j++;
                }
                out.add(s.substring(i, j));
                i = j;
            }
            return out;
        }
        String d = sep.toString();
        if (d.isEmpty()) {
            throw new ChatTemplateException("str.split(): empty separator");
        }
        int start = 0;
        int at;
        while ((maxSplit < 0 || out.size() < maxSplit) && (at = s.indexOf(d, start)) >= 0) {
            out.add(s.substring(start, at));
            start = at + d.length();
        }
        out.add(s.substring(start));
        return out;
    }

    private static String title(String s) {
        StringBuilder out = new StringBuilder(s.length());
        boolean previousCased = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean cased = Character.isUpperCase(c) || Character.isLowerCase(c) || Character.isTitleCase(c);
            out.append(cased ? (previousCased ? Character.toLowerCase(c) : Character.toTitleCase(c)) : c);
            previousCased = cased;
        }
        return out.toString();
    }

    private static String join(String sep, Object items) {
        if (!(items instanceof Collection<?> c)) {
            throw new ChatTemplateException("str.join() needs a list, got " + items);
        }
        List<String> parts = new ArrayList<>();
        for (Object o : c) {
            parts.add(String.valueOf(o));
        }
        return String.join(sep, parts);
    }

    private static int count(String s, String sub) {
        if (sub.isEmpty()) {
            return s.length() + 1;
        }
        int n = 0;
        for (int at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length())) {
            n++;
        }
        return n;
    }

    private static String replace(String s, String a, String b, int max) {
        String out = s;
        StringBuilder sb = new StringBuilder();
        int start = 0;
        int done = 0;
        int at;
        while ((max < 0 || done < max) && !a.isEmpty() && (at = out.indexOf(a, start)) >= 0) {
            sb.append(out, start, at).append(b);
            start = at + a.length();
            done++;
        }
        return sb.append(out.substring(start)).toString();
    }

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {
        // read-only: leaves the property unresolved for the next resolver
    }

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return true;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return Collections.emptyIterator();
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }
}
