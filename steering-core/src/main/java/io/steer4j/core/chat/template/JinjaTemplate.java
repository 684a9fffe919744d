package io.steer4j.core.chat.template;

import java.time.Clock;
import java.util.List;
import java.util.Map;

/**
 * A Jinja chat template, parsed once and rendered as Python's jinja2 renders it in Hugging Face transformers:
 * {@code ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)} with the loopcontrols extension, the
 * globals {@code raise_exception} and {@code strftime_now}, and transformers' {@code tojson}.
 *
 * <p>This is an interpreter written for chat templates, not a general template engine: it has no loader (so
 * {@code include}, {@code import}, {@code from} and {@code extends} fail as they do in transformers), no access to
 * Java objects (variables are copied into Python's value types; only Python's str, dict and list methods and
 * jinja2's filters and tests are reachable), and every render runs under {@link TemplateLimits}. Supported: the
 * whole expression grammar with jinja2's precedence, whitespace control and trim/lstrip blocks, {@code if},
 * {@code for} (with {@code else}, an {@code if} filter, {@code loop.*}, {@code break}/{@code continue}),
 * {@code set} (also block form and {@code namespace} attributes), {@code macro}, {@code call}, {@code filter},
 * {@code with}, {@code raw}, slicing with steps, Markup arithmetic. Not supported (refused with a named error):
 * recursive loops, {@code *args} in calls, and a few filters chat templates do not use.
 *
 * <p>Immutable and thread-safe; each render has its own state.
 *
 * <pre>{@code
 * JinjaTemplate t = JinjaTemplate.parse("{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}");
 * String text = t.render(Map.of("messages", List.of(Map.of("role", "user", "content", "Hi"))));
 * }</pre>
 */
public final class JinjaTemplate {
    /** Most tokens a template may have (a real chat template has a few thousand). */
    private static final int MAX_TOKENS = 1_000_000;

    private final String source;
    private final List<Node> body;

    private JinjaTemplate(String source, List<Node> body) {
        this.source = source;
        this.body = body;
    }

    /**
     * Parses a template.
     *
     * @throws TemplateException on a syntax error, an unknown filter or test, naming its line and column
     */
    public static JinjaTemplate parse(String source) {
        if (source == null) {
            throw new IllegalArgumentException("the template source is null");
        }
        String normalized = Lexer.normalize(source);
        try {
            return new JinjaTemplate(normalized, Parser.parse(Lexer.tokenize(normalized, MAX_TOKENS)));
        } catch (Errors.Positioned e) {
            throw positioned(normalized, e);
        } catch (StackOverflowError e) {
            throw new TemplateException("LimitExceeded", "the template nests too deeply to parse", 0, 0, false);
        } catch (RuntimeException e) {
            throw new TemplateException("InternalError", "steer4j could not parse the template ("
                    + e.getClass().getSimpleName() + ")", 0, 0, false);
        }
    }

    /** Renders with the default limits and the system clock. */
    public String render(Map<String, ?> variables) {
        return render(variables, TemplateLimits.defaults(), Clock.systemDefaultZone());
    }

    /**
     * Renders with {@code variables} (maps, lists, strings, numbers, booleans and nulls, copied), reading the
     * time for {@code strftime_now} from {@code clock}.
     *
     * @throws TemplateException when the template raises (its own {@code raise_exception}, or an error Python would
     *                           raise too), or a limit is reached
     * @throws IllegalArgumentException when a variable holds another kind of Java object
     */
    public String render(Map<String, ?> variables, TemplateLimits limits, Clock clock) {
        if (variables == null || limits == null || clock == null) {
            throw new IllegalArgumentException("variables, limits and clock must not be null");
        }
        Map<String, Object> values = Renderer.variables(variables);
        try {
            return new Renderer(limits, clock).render(body, values);
        } catch (Errors.Positioned e) {
            throw positioned(source, e);
        } catch (StackOverflowError e) {
            throw new TemplateException("LimitExceeded", "the template nests too deeply to render", 0, 0, false);
        } catch (RuntimeException e) {
            // a defect of the interpreter must still reach the caller as a template error, never as a bare crash
            throw new TemplateException("InternalError", "steer4j could not render the template ("
                    + e.getClass().getSimpleName() + ")", 0, 0, false);
        }
    }

    private static TemplateException positioned(String source, Errors.Positioned e) {
        int line = 0;
        int column = 0;
        if (e.pos >= 0 && !e.raised) {
            line = 1;
            int lineStart = 0;
            for (int i = 0; i < Math.min(e.pos, source.length()); i++) {
                if (source.charAt(i) == '\n') {
                    line++;
                    lineStart = i + 1;
                }
            }
            column = e.pos - lineStart + 1;
        }
        return new TemplateException(e.pythonType, e.getMessage(), line, column, e.raised);
    }
}
