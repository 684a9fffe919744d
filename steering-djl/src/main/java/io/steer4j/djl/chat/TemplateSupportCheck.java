package io.steer4j.djl.chat;

import com.hubspot.jinjava.interpret.Context;

import java.util.LinkedHashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Looks through a template's expressions, before any rendering, for what Jinjava would silently get wrong: a filter
 * or test it does not have (Jinjava renders an unknown filter as the identity, Python refuses the template) and
 * slicing with a step ({@code messages[::-1]}), which Jinjava cannot parse. Naming them up front turns a subtly
 * wrong prompt into a clear error.
 */
final class TemplateSupportCheck {
    private static final Pattern CODE = Pattern.compile("\\{\\{(.*?)}}|\\{%(.*?)%}", Pattern.DOTALL);
    private static final Pattern STRING = Pattern.compile("'(?:\\\\.|[^'\\\\])*'|\"(?:\\\\.|[^\"\\\\])*\"", Pattern.DOTALL);
    private static final Pattern FILTER = Pattern.compile("\\|\\s*([A-Za-z_]\\w*)");
    private static final Pattern TEST = Pattern.compile("\\bis\\s+(?:not\\s+)?([A-Za-z_]\\w*)");
    private static final Pattern STEP_SLICE = Pattern.compile("\\[[^\\[\\]]*:[^\\[\\]]*:[^\\[\\]]*]");

    private TemplateSupportCheck() {
    }

    /** @throws ChatTemplateException naming every unsupported filter, test or construct found */
    static void check(String source, Context engine) {
        Set<String> problems = new LinkedHashSet<>();
        Matcher code = CODE.matcher(source);
        while (code.find()) {
            String expr = code.group(1) != null ? code.group(1) : code.group(2);
            String bare = STRING.matcher(expr).replaceAll("''");
            if (code.group(2) != null && bare.strip().replaceFirst("^[-+]", "").strip().startsWith("raw")) {
                continue;
            }
            Matcher f = FILTER.matcher(bare);
            while (f.find()) {
                if (engine.getFilter(f.group(1)) == null) {
                    problems.add("the filter '" + f.group(1) + "'");
                }
            }
            Matcher t = TEST.matcher(bare);
            while (t.find()) {
                if (engine.getExpTest(t.group(1)) == null) {
                    problems.add("the test 'is " + t.group(1) + "'");
                }
            }
            Matcher s = STEP_SLICE.matcher(bare);
            while (s.find()) {
                problems.add("slicing with a step ('" + s.group() + "')");
            }
        }
        if (!problems.isEmpty()) {
            throw new ChatTemplateException("the chat template uses " + String.join(", ", problems)
                    + ", which the JVM Jinja engine (Jinjava) does not support");
        }
    }
}
