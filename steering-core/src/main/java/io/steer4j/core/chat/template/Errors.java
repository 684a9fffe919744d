package io.steer4j.core.chat.template;

/**
 * Errors raised while parsing or rendering, positioned by offset in the template; {@link JinjaTemplate} turns them
 * into {@link TemplateException}s with line and column. The messages are Python's where Python raises the same
 * error, so that a refusal can be compared with jinja2's.
 */
final class Errors {
    private Errors() {
    }

    /** An error at an offset of the template, before its line and column are known. */
    static final class Positioned extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final String pythonType;
        final boolean raised;
        int pos;

        Positioned(String pythonType, String message, int pos, boolean raised) {
            super(message, null, false, false);
            this.pythonType = pythonType;
            this.pos = pos;
            this.raised = raised;
        }

        /** This error, placed at {@code p} when it has no position yet. */
        Positioned at(int p) {
            if (pos < 0) {
                pos = p;
            }
            return this;
        }
    }

    static Positioned syntax(String message, int pos) {
        return new Positioned("TemplateSyntaxError", message, pos, false);
    }

    static Positioned type(String message) {
        return new Positioned("TypeError", message, -1, false);
    }

    static Positioned value(String message) {
        return new Positioned("ValueError", message, -1, false);
    }

    static Positioned undefined(String message) {
        return new Positioned("UndefinedError", message, -1, false);
    }

    static Positioned security(String message) {
        return new Positioned("SecurityError", message, -1, false);
    }

    static Positioned of(String pythonType, String message) {
        return new Positioned(pythonType, message, -1, false);
    }

    /** A limit of {@link TemplateLimits} was reached (no Python equivalent except range's OverflowError). */
    static Positioned limit(String message) {
        return new Positioned("LimitExceeded", message, -1, false);
    }

    /** The template's own raise_exception(message). */
    static Positioned raised(String message) {
        return new Positioned(null, message, -1, true);
    }
}
