package io.steer4j.core.chat.template;

import java.util.List;
import java.util.Map;
import java.util.Set;

/** jinja2's built-in tests ({@code x is defined}, {@code n is divisibleby 3}, ...), with Python's semantics. */
final class Tests {
    private Tests() {
    }

    private static final Set<String> NAMES = Set.of("defined", "undefined", "none", "true", "false", "boolean",
            "integer", "float", "number", "string", "mapping", "iterable", "sequence", "callable", "odd", "even",
            "divisibleby", "eq", "equalto", "==", "ne", "!=", "lt", "lessthan", "<", "le", "<=", "gt", "greaterthan",
            ">", "ge", ">=", "in", "sameas", "lower", "upper", "escaped", "filter", "test");

    static boolean exists(String name) {
        return NAMES.contains(name);
    }

    private static final Set<String> NO_ARGUMENT = Set.of("defined", "undefined", "none", "true", "false", "boolean",
            "integer", "float", "number", "string", "mapping", "iterable", "sequence", "odd", "even", "lower",
            "upper", "escaped", "filter", "test");

    static boolean apply(Renderer r, String name, Object v, List<Object> args) {
        if (!args.isEmpty() && NO_ARGUMENT.contains(name)) {
            throw Errors.type("test_" + name + "() takes 1 positional argument but " + (args.size() + 1)
                    + " were given");
        }
        if (!args.isEmpty() && name.equals("callable")) {
            throw Errors.type("callable() takes exactly one argument (" + (args.size() + 1) + " given)");
        }
        switch (name) {
            case "defined" -> {
                return !(v instanceof Undefined);
            }
            case "undefined" -> {
                return v instanceof Undefined;
            }
            case "none" -> {
                return v == null;
            }
            case "true" -> {
                return Boolean.TRUE.equals(v);
            }
            case "false" -> {
                return Boolean.FALSE.equals(v);
            }
            case "boolean" -> {
                return v instanceof Boolean;
            }
            case "integer" -> {
                return v instanceof Long;
            }
            case "float" -> {
                return v instanceof Double;
            }
            case "number" -> {
                return Py.isNumber(v);
            }
            case "string" -> {
                return Py.isString(v);
            }
            case "mapping" -> {
                return v instanceof Map;
            }
            case "iterable" -> {
                return v instanceof List || v instanceof PyTuple || v instanceof Map || Py.isString(v)
                        || v instanceof PyIterator || v instanceof Undefined;
            }
            case "sequence" -> {
                return v instanceof List || v instanceof PyTuple || v instanceof Map || Py.isString(v)
                        || v instanceof Undefined;
            }
            case "callable" -> {
                return v instanceof PyCallable || v instanceof Undefined;
            }
            case "odd", "even" -> {
                if (v instanceof Undefined u) {
                    throw u.error();
                }
                Object mod = Operators.binary(r, "%", v, 2L);
                return Py.equal(mod, name.equals("odd") ? 1L : 0L);
            }
            case "divisibleby" -> {
                return Py.equal(Operators.binary(r, "%", v, arg(args)), 0L);
            }
            case "eq", "equalto", "==" -> {
                return Py.equal(v, arg(args));
            }
            case "ne", "!=" -> {
                return !Py.equal(v, arg(args));
            }
            case "lt", "lessthan", "<" -> {
                return Py.compare(v, arg(args), "<") < 0;
            }
            case "le", "<=" -> {
                return Py.compare(v, arg(args), "<=") <= 0;
            }
            case "gt", "greaterthan", ">" -> {
                return Py.compare(v, arg(args), ">") > 0;
            }
            case "ge", ">=" -> {
                return Py.compare(v, arg(args), ">=") >= 0;
            }
            case "in" -> {
                return Py.contains(arg(args), v);
            }
            case "sameas" -> {
                Object o = arg(args);
                return v == o || (v instanceof Boolean && v.equals(o));
            }
            case "lower", "upper" -> {
                return (Boolean) Methods.call(r, Py.str(v), name.equals("lower") ? "islower" : "isupper", List.of(),
                        Map.of());
            }
            case "escaped" -> {
                return v instanceof Markup;
            }
            case "filter" -> {
                return Py.isString(v) && Filters.exists(Py.str(v));
            }
            default -> {
                return Py.isString(v) && exists(Py.str(v));
            }
        }
    }

    private static Object arg(List<Object> args) {
        if (args.isEmpty()) {
            throw Errors.type("the test is missing its argument");
        }
        return args.get(0);
    }
}
