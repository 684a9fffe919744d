package io.steer4j.core.chat.template;

import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The global names a chat template sees besides its variables: jinja2's {@code range}, {@code dict},
 * {@code namespace} (and {@code cycler}, {@code joiner}, {@code lipsum}, defined but refused when called), and the
 * two transformers adds: {@code raise_exception(message)} and {@code strftime_now(format)}.
 */
final class Globals {
    private Globals() {
    }

    static void install(Map<String, Object> g) {
        g.put("range", (PyCallable) Globals::range);
        g.put("dict", (PyCallable) (r, args, kwargs) -> {
            Map<Object, Object> out = new LinkedHashMap<>();
            if (!args.isEmpty()) {
                if (!(args.get(0) instanceof Map<?, ?> m) || args.size() > 1) {
                    throw Errors.type("dict() takes one mapping argument in steer4j");
                }
                out.putAll(m);
            }
            out.putAll(kwargs);
            return out;
        });
        g.put("namespace", (PyCallable) (r, args, kwargs) -> {
            Namespace ns = new Namespace();
            for (Object a : args) {
                if (!(a instanceof Map<?, ?> m)) {
                    throw Errors.type("namespace() takes a mapping or keyword arguments");
                }
                m.forEach((k, v) -> ns.attributes.put(Py.str(k), v));
            }
            ns.attributes.putAll(kwargs);
            return ns;
        });
        for (String name : List.of("cycler", "joiner", "lipsum")) {
            g.put(name, (PyCallable) (r, args, kwargs) -> {
                throw Errors.type("the global '" + name + "' is not supported by steer4j's chat templates");
            });
        }
        g.put("raise_exception", (PyCallable) (r, args, kwargs) -> {
            throw Errors.raised(args.isEmpty() ? "" : Py.str(args.get(0)));
        });
        g.put("strftime_now", (PyCallable) (r, args, kwargs) -> {
            if (args.size() != 1 || !Py.isString(args.get(0))) {
                throw Errors.type("strftime_now(format) takes one string");
            }
            return PythonStrftime.format(Py.str(args.get(0)), ZonedDateTime.now(r.clock));
        });
    }

    /** Python's range, refused beyond the sandbox's MAX_RANGE as jinja2's sandbox does. */
    private static Object range(Renderer r, List<Object> args, Map<String, Object> kwargs) {
        if (args.isEmpty() || args.size() > 3 || !kwargs.isEmpty()) {
            throw Errors.type("range expected 1 to 3 integer arguments, got " + args.size());
        }
        for (Object a : args) {
            if (!Py.isInt(a)) {
                throw Errors.type("'" + Py.typeName(a) + "' object cannot be interpreted as an integer");
            }
        }
        long start = args.size() == 1 ? 0 : Py.toLong(args.get(0));
        long stop = Py.toLong(args.get(args.size() == 1 ? 0 : 1));
        long step = args.size() == 3 ? Py.toLong(args.get(2)) : 1;
        if (step == 0) {
            throw Errors.value("range() arg 3 must not be zero");
        }
        long n;
        if (step > 0) {
            n = start < stop ? (stop - start - 1) / step + 1 : 0;
        } else {
            n = start > stop ? (start - stop - 1) / -step + 1 : 0;
        }
        if (n > TemplateLimits.PYTHON_MAX_RANGE) {
            throw Errors.of("OverflowError", "Range too big. The sandbox blocks ranges larger than MAX_RANGE ("
                    + TemplateLimits.PYTHON_MAX_RANGE + ").");
        }
        if (n > r.limits.maxRange()) {
            throw Errors.limit("range() of " + n + " items, over the limit of " + r.limits.maxRange()
                    + " (TemplateLimits.maxRange)");
        }
        r.charge(n, false);
        List<Object> out = new ArrayList<>((int) n);
        for (long i = 0, v = start; i < n; i++, v += step) {
            out.add(v);
        }
        return out;
    }
}
