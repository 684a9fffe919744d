package io.steer4j.core.chat.template;

/**
 * jinja2's default {@code Undefined}: what a missing variable, attribute or item evaluates to. It prints as nothing,
 * is false, iterates as empty and is "not defined"; using it further (an attribute, a call, arithmetic) raises
 * {@code UndefinedError} with jinja2's message. An unsafe attribute ({@code __class__}, {@code list.append}) is an
 * Undefined whose use raises {@code SecurityError}, as in the sandbox.
 */
final class Undefined {
    /** An undefined variable named {@code name}. */
    static Undefined name(String name) {
        return new Undefined("'" + name + "' is undefined", "UndefinedError");
    }

    /** A missing attribute or item of {@code owner}. */
    static Undefined missing(Object owner, Object key) {
        if (key instanceof String s) {
            return new Undefined(Py.repr(typeRepr(owner)) + " has no attribute " + Py.repr(s), "UndefinedError");
        }
        return new Undefined(typeRepr(owner) + " has no element " + Py.repr(key), "UndefinedError");
    }

    /** An attribute the sandbox refuses. */
    static Undefined unsafe(Object owner, String attribute) {
        return new Undefined("access to attribute " + Py.repr(attribute) + " of " + Py.repr(Py.typeName(owner))
                + " object is unsafe.", "SecurityError");
    }

    /** An undefined value with its own message (e.g. {@code first} of an empty sequence). */
    static Undefined hint(String message) {
        return new Undefined(message, "UndefinedError");
    }

    /** jinja2's object_type_repr: {@code None}, {@code dict object}, {@code str object}. */
    private static String typeRepr(Object o) {
        return o == null ? "None" : (o instanceof Markup ? "markupsafe.Markup" : Py.typeName(o)) + " object";
    }

    private final String message;
    private final String pythonType;

    private Undefined(String message, String pythonType) {
        this.message = message;
        this.pythonType = pythonType;
    }

    /** The error that using this value raises. */
    Errors.Positioned error() {
        return Errors.of(pythonType, message);
    }

    @Override
    public String toString() {
        return "";
    }
}
