package io.steer4j.core.chat.template;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Python's binary and unary operators and comparisons on template values, with Python's results and errors. */
final class Operators {
    private Operators() {
    }

    static Object negate(Object v) {
        if (v instanceof Undefined u) {
            throw u.error();
        }
        if (Py.isInt(v)) {
            long l = Py.toLong(v);
            if (l == Long.MIN_VALUE) {
                throw Errors.of("OverflowError", "integer result too large (steer4j keeps integers in 64 bits)");
            }
            return -l;
        }
        if (v instanceof Double d) {
            return -d;
        }
        throw Errors.type("bad operand type for unary -: '" + Py.typeName(v) + "'");
    }

    static Object positive(Object v) {
        if (v instanceof Undefined u) {
            throw u.error();
        }
        if (Py.isInt(v)) {
            return Py.toLong(v);
        }
        if (v instanceof Double) {
            return v;
        }
        throw Errors.type("bad operand type for unary +: '" + Py.typeName(v) + "'");
    }

    static boolean compare(String op, Object a, Object b) {
        return switch (op) {
            case "==" -> Py.equal(a, b);
            case "!=" -> !Py.equal(a, b);
            case "in" -> Py.contains(b, a);
            case "notin" -> !Py.contains(b, a);
            case "<" -> Py.compare(a, b, op) < 0;
            case ">" -> Py.compare(a, b, op) > 0;
            case "<=" -> Py.compare(a, b, op) <= 0;
            default -> Py.compare(a, b, op) >= 0;
        };
    }

    private static Errors.Positioned unsupported(String op, Object a, Object b) {
        return Errors.type("unsupported operand type(s) for " + op + ": '" + Py.typeName(a) + "' and '"
                + Py.typeName(b) + "'");
    }

    static Object binary(Renderer r, String op, Object a, Object b) {
        if (op.equals("~")) {
            String s = Py.str(a) + Py.str(b);
            return r.checked(s);
        }
        if (a instanceof Undefined u) {
            throw u.error();
        }
        if (b instanceof Undefined u && !(op.equals("%") && Py.isString(a))) {
            throw u.error();
        }
        try {
            return switch (op) {
                case "+" -> add(r, a, b);
                case "-" -> arithmetic(op, a, b);
                case "*" -> multiply(r, a, b);
                case "/" -> divide(a, b);
                case "//" -> floorDivide(a, b);
                case "%" -> modulo(r, a, b);
                case "**" -> power(a, b);
                default -> throw new IllegalStateException(op);
            };
        } catch (ArithmeticException e) {
            throw Errors.of("OverflowError", "integer result too large (steer4j keeps integers in 64 bits)");
        }
    }

    private static Object add(Renderer r, Object a, Object b) {
        if (Py.isNumber(a) && Py.isNumber(b)) {
            return arithmetic("+", a, b);
        }
        if (a instanceof Markup m) {
            if (!Py.isString(b)) {
                throw unsupported("+", a, b);
            }
            return new Markup(r.checked(m.text() + Markup.escapeValue(b).text()));
        }
        if (a instanceof String s) {
            if (b instanceof Markup m) {
                return new Markup(r.checked(Markup.escape(s) + m.text()));
            }
            if (b instanceof String t) {
                r.charge((long) s.length() + t.length(), true);
                return s + t;
            }
            throw Errors.type("can only concatenate str (not \"" + Py.typeName(b) + "\") to str");
        }
        if (a instanceof List<?> x) {
            if (!(b instanceof List<?> y)) {
                throw Errors.type("can only concatenate list (not \"" + Py.typeName(b) + "\") to list");
            }
            r.charge((long) x.size() + y.size(), false);
            List<Object> out = new ArrayList<>(x);
            out.addAll(y);
            return out;
        }
        if (a instanceof PyTuple x) {
            if (!(b instanceof PyTuple y)) {
                throw Errors.type("can only concatenate tuple (not \"" + Py.typeName(b) + "\") to tuple");
            }
            List<Object> out = new ArrayList<>(x.items());
            out.addAll(y.items());
            return new PyTuple(out);
        }
        throw unsupported("+", a, b);
    }

    private static Object arithmetic(String op, Object a, Object b) {
        if (!Py.isNumber(a) || !Py.isNumber(b)) {
            throw unsupported(op, a, b);
        }
        if (Py.isInt(a) && Py.isInt(b)) {
            long x = Py.toLong(a);
            long y = Py.toLong(b);
            return op.equals("+") ? Math.addExact(x, y) : Math.subtractExact(x, y);
        }
        double x = Py.toDouble(a);
        double y = Py.toDouble(b);
        return op.equals("+") ? x + y : x - y;
    }

    private static Object multiply(Renderer r, Object a, Object b) {
        if (Py.isNumber(a) && Py.isNumber(b)) {
            if (Py.isInt(a) && Py.isInt(b)) {
                return Math.multiplyExact(Py.toLong(a), Py.toLong(b));
            }
            return Py.toDouble(a) * Py.toDouble(b);
        }
        if (Py.isInt(a) && (Py.isString(b) || b instanceof List || b instanceof PyTuple)) {
            return multiply(r, b, a);
        }
        if (a instanceof Markup && !Py.isInt(b)) {
            throw Errors.type("'" + Py.typeName(b) + "' object cannot be interpreted as an integer");
        }
        if (b instanceof Markup && !Py.isInt(a)) {
            throw Errors.type("'" + (a instanceof Markup ? "str" : Py.typeName(a)) + "' object cannot be interpreted"
                    + " as an integer");
        }
        if (Py.isInt(b)) {
            long n = Math.max(0, Py.toLong(b));
            if (Py.isString(a)) {
                String s = Py.str(a);
                r.charge(s.length() * n, true);
                String out = s.repeat((int) n);
                return a instanceof Markup ? new Markup(out) : out;
            }
            if (a instanceof List<?> || a instanceof PyTuple) {
                List<?> l = a instanceof PyTuple t ? t.items() : (List<?>) a;
                r.charge(l.size() * n, false);
                List<Object> out = new ArrayList<>();
                for (long i = 0; i < n; i++) {
                    out.addAll(l);
                }
                return a instanceof PyTuple ? new PyTuple(out) : out;
            }
        }
        if (Py.isString(a) || a instanceof List || a instanceof PyTuple) {
            throw Errors.type("can't multiply sequence by non-int of type '" + Py.typeName(b) + "'");
        }
        if (Py.isString(b) || b instanceof List || b instanceof PyTuple) {
            throw Errors.type("can't multiply sequence by non-int of type '" + Py.typeName(a) + "'");
        }
        throw unsupported("*", a, b);
    }

    private static Object divide(Object a, Object b) {
        if (!Py.isNumber(a) || !Py.isNumber(b)) {
            throw unsupported("/", a, b);
        }
        double y = Py.toDouble(b);
        if (y == 0) {
            throw Errors.of("ZeroDivisionError", Py.isInt(a) && Py.isInt(b) ? "division by zero"
                    : "float division by zero");
        }
        return Py.toDouble(a) / y;
    }

    private static Object floorDivide(Object a, Object b) {
        if (!Py.isNumber(a) || !Py.isNumber(b)) {
            throw unsupported("//", a, b);
        }
        if (Py.isInt(a) && Py.isInt(b)) {
            long y = Py.toLong(b);
            if (y == 0) {
                throw Errors.of("ZeroDivisionError", "integer division or modulo by zero");
            }
            return Math.floorDiv(Py.toLong(a), y);
        }
        double y = Py.toDouble(b);
        if (y == 0) {
            throw Errors.of("ZeroDivisionError", "float floor division by zero");
        }
        return Math.floor(Py.toDouble(a) / y);
    }

    private static Object modulo(Renderer r, Object a, Object b) {
        if (Py.isString(a)) {
            List<Object> args;
            if (b instanceof PyTuple t) {
                args = t.items();
            } else {
                args = new ArrayList<>();
                args.add(b);
            }
            // Python takes a list or dict as a mapping argument: unused, it is no error
            return r.checked(PrintfFormat.format(Py.str(a), args, b instanceof List || b instanceof Map
                    || b instanceof Undefined));
        }
        if (!Py.isNumber(a) || !Py.isNumber(b)) {
            throw unsupported("%", a, b);
        }
        if (Py.isInt(a) && Py.isInt(b)) {
            long y = Py.toLong(b);
            if (y == 0) {
                throw Errors.of("ZeroDivisionError", "integer modulo by zero");
            }
            return Math.floorMod(Py.toLong(a), y);
        }
        double y = Py.toDouble(b);
        if (y == 0) {
            throw Errors.of("ZeroDivisionError", "float modulo");
        }
        double x = Py.toDouble(a);
        double m = x % y;
        return m != 0 && (m < 0) != (y < 0) ? m + y : m;
    }

    private static Object power(Object a, Object b) {
        if (!Py.isNumber(a) || !Py.isNumber(b)) {
            throw unsupported("** or pow()", a, b);
        }
        if (Py.isInt(a) && Py.isInt(b) && Py.toLong(b) >= 0) {
            long base = Py.toLong(a);
            long exp = Py.toLong(b);
            if (base == 0 || base == 1 || base == -1) {
                return exp == 0 ? 1L : base == -1 ? (exp % 2 == 0 ? 1L : -1L) : base;
            }
            long result = 1;
            for (long i = 0; i < exp; i++) {
                result = Math.multiplyExact(result, base);
            }
            return result;
        }
        return Math.pow(Py.toDouble(a), Py.toDouble(b));
    }
}
