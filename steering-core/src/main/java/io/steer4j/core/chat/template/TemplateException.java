package io.steer4j.core.chat.template;

/**
 * A chat template could not be parsed or rendered. The message names the position in the template (line and
 * column, 1-based) and what went wrong, never quoting the template's text; for errors Python would raise too it
 * carries Python's message (e.g. {@code 'NoneType' object is not iterable}) and {@link #pythonType()} names Python's
 * exception type. A {@code raise_exception(message)} call of the template itself gives {@link #raisedByTemplate()}
 * true and exactly the template's message.
 */
public final class TemplateException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    /** Longest message kept: a template's own raise_exception text is capped too. */
    static final int MAX_MESSAGE = 2_000;

    private final String pythonType;
    private final boolean raisedByTemplate;
    private final int line;
    private final int column;

    TemplateException(String pythonType, String message, int line, int column, boolean raisedByTemplate) {
        super(compose(message, line, column, raisedByTemplate), null, false, false);
        this.pythonType = pythonType;
        this.raisedByTemplate = raisedByTemplate;
        this.line = line;
        this.column = column;
    }

    private static String compose(String message, int line, int column, boolean raised) {
        String m = message.length() > MAX_MESSAGE ? message.substring(0, MAX_MESSAGE) + "..." : message;
        if (raised || line <= 0) {
            return m;
        }
        return m + " (template line " + line + ", column " + column + ")";
    }

    /** Python's exception type for the same error ({@code TypeError}, {@code UndefinedError}, ...), or null. */
    public String pythonType() {
        return pythonType;
    }

    /** Whether the template refused the input through {@code raise_exception}. */
    public boolean raisedByTemplate() {
        return raisedByTemplate;
    }

    /** The 1-based template line of the error, 0 when none applies. */
    public int line() {
        return line;
    }

    /** The 1-based column of the error, 0 when none applies. */
    public int column() {
        return column;
    }
}
