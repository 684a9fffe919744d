package io.steer4j.core.chat.template;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Executes a parsed template for one render: scopes as jinja2 keeps them (a for loop's body and a macro have their
 * own, {@code if} does not), Python's operators, the sandbox's attribute rules, and the limits of
 * {@link TemplateLimits} checked as values are built. One instance per render; not thread-safe.
 */
final class Renderer {
    /** Variables of one scope, falling back to the parent's. */
    static final class Scope {
        final Map<String, Object> vars = new HashMap<>();
        final Scope parent;

        Scope(Scope parent) {
            this.parent = parent;
        }

        Object lookup(String name) {
            for (Scope s = this; s != null; s = s.parent) {
                Object v = s.vars.get(name);
                if (v != null || s.vars.containsKey(name)) {
                    return v;
                }
            }
            return MISSING;
        }
    }

    static final Object MISSING = new Object();

    private static final class LoopSignal extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final boolean isBreak;

        LoopSignal(boolean isBreak) {
            super(null, null, false, false);
            this.isBreak = isBreak;
        }
    }

    private static final LoopSignal BREAK = new LoopSignal(true);
    private static final LoopSignal CONTINUE = new LoopSignal(false);

    final TemplateLimits limits;
    final Clock clock;
    private final long deadline;
    private long allocated;
    private int depth;
    private int ticks;
    private int loopDepth;

    Renderer(TemplateLimits limits, Clock clock) {
        this.limits = limits;
        this.clock = clock;
        this.deadline = System.nanoTime() + limits.renderTime().toNanos();
    }

    /** The render variables copied into the template's value types (IllegalArgumentException for others). */
    static Map<String, Object> variables(Map<String, ?> variables) {
        Map<String, Object> out = new HashMap<>();
        for (Map.Entry<String, ?> e : variables.entrySet()) {
            out.put(e.getKey(), Values.fromJava(e.getValue()));
        }
        return out;
    }

    String render(List<Node> body, Map<String, Object> variables) {
        Scope globals = new Scope(null);
        Globals.install(globals.vars);
        Scope root = new Scope(globals);
        root.vars.putAll(variables);
        StringBuilder out = new StringBuilder();
        execute(body, root, out);
        return out.toString();
    }

    // ---- limits ----

    void tick() {
        if ((++ticks & 255) == 0 && System.nanoTime() > deadline) {
            throw Errors.limit("the template took longer than " + limits.renderTime().toMillis()
                    + " ms to render (TemplateLimits.renderTime)");
        }
    }

    /** Counts {@code n} characters or items about to be built against the per-value and total caps. */
    void charge(long n, boolean isString) {
        long cap = isString ? limits.maxStringLength() : limits.maxListLength();
        if (n > cap) {
            throw Errors.limit("the template builds a " + (isString ? "string of " : "list of ") + n
                    + (isString ? " characters" : " items") + ", over the limit of " + cap
                    + (isString ? " (TemplateLimits.maxStringLength)" : " (TemplateLimits.maxListLength)"));
        }
        allocated += n;
        if (allocated > limits.maxAllocated()) {
            throw Errors.limit("the template built more than " + limits.maxAllocated()
                    + " characters and items in all (TemplateLimits.maxAllocated)");
        }
    }

    String checked(String s) {
        charge(s.length(), true);
        return s;
    }

    private void append(StringBuilder out, String s) {
        if ((long) out.length() + s.length() > limits.maxStringLength()) {
            throw Errors.limit("the rendered text exceeds " + limits.maxStringLength()
                    + " characters (TemplateLimits.maxStringLength)");
        }
        out.append(s);
    }

    // ---- statements ----

    void execute(List<Node> body, Scope scope, StringBuilder out) {
        for (Node n : body) {
            tick();
            try {
                executeNode(n, scope, out);
            } catch (Errors.Positioned e) {
                throw e.at(n.pos());
            }
        }
    }

    private void executeNode(Node n, Scope scope, StringBuilder out) {
        if (n instanceof Node.Data d) {
            append(out, d.text());
        } else if (n instanceof Node.Output o) {
            append(out, Py.str(eval(o.value(), scope)));
        } else if (n instanceof Node.If f) {
            for (int i = 0; i < f.tests().size(); i++) {
                if (Py.truthy(eval(f.tests().get(i), scope))) {
                    execute(f.bodies().get(i), scope, out);
                    return;
                }
            }
            execute(f.orElse(), scope, out);
        } else if (n instanceof Node.For f) {
            executeFor(f, scope, out);
        } else if (n instanceof Node.Set s) {
            assign(s.target(), eval(s.value(), scope), scope, s.pos());
        } else if (n instanceof Node.SetBlock s) {
            StringBuilder captured = new StringBuilder();
            execute(s.body(), new Scope(scope), captured);
            Object value = captured.toString();
            if (s.filter() != null) {
                value = applyFilterChain(s.filter(), value, scope);
            }
            assign(s.target(), value, scope, s.pos());
        } else if (n instanceof Node.Macro m) {
            scope.vars.put(m.name(), new Macro(m.name(), m.params(), m.body(), scope, null));
        } else if (n instanceof Node.CallBlock c) {
            Macro caller = new Macro("caller", c.params(), c.body(), scope, null);
            Object fn = eval(c.call().function(), scope);
            List<Object> args = evalArgs(c.call().args(), scope);
            Map<String, Object> kwargs = evalKwargs(c.call().kwargs(), scope);
            kwargs.put("caller", caller);
            append(out, Py.str(call(fn, args, kwargs)));
        } else if (n instanceof Node.FilterBlock f) {
            StringBuilder captured = new StringBuilder();
            execute(f.body(), new Scope(scope), captured); // a filter block's assignments stay inside it
            append(out, Py.str(applyFilterChain(f.filter(), captured.toString(), scope)));
        } else if (n instanceof Node.With w) {
            Scope inner = new Scope(scope);
            for (int i = 0; i < w.targets().size(); i++) {
                assign(w.targets().get(i), eval(w.values().get(i), scope), inner, w.pos());
            }
            execute(w.body(), inner, out);
        } else if (n instanceof Node.Break b) {
            if (loopDepth == 0) {
                throw Errors.syntax("'break' outside of a loop", b.pos());
            }
            throw BREAK;
        } else if (n instanceof Node.Continue c) {
            if (loopDepth == 0) {
                throw Errors.syntax("'continue' outside of a loop", c.pos());
            }
            throw CONTINUE;
        } else if (n instanceof Node.NeedsLoader l) {
            throw Errors.type("no loader for this environment specified (chat templates are"
                    + " rendered without a loader, as in transformers: '" + l.tag() + "' cannot read other files)");
        } else {
            throw new IllegalStateException("unknown syntax node");
        }
    }

    /** A filter chain whose innermost value is null (a filter block or set block): applied to {@code value}. */
    private Object applyFilterChain(Expr chain, Object value, Scope scope) {
        Expr.Filter f = (Expr.Filter) chain;
        Object input = f.value() == null ? value : applyFilterChain(f.value(), value, scope);
        return Filters.apply(this, f.name(), input, evalArgs(f.args(), scope), evalKwargs(f.kwargs(), scope));
    }

    private void executeFor(Node.For f, Scope scope, StringBuilder out) {
        Object iterable = eval(f.iterable(), scope);
        List<Object> items;
        try {
            items = Py.iterate(iterable);
        } catch (Errors.Positioned e) {
            throw e.at(f.iterable().pos()); // "not iterable" points at the iterable, not at the tag
        }
        if (f.filter() != null) {
            List<Object> kept = new ArrayList<>();
            for (Object item : items) {
                tick();
                Scope s = new Scope(scope);
                assign(f.target(), item, s, f.pos());
                if (Py.truthy(eval(f.filter(), s))) {
                    kept.add(item);
                }
            }
            items = kept;
        }
        if (items.isEmpty()) {
            execute(f.orElse(), scope, out);
            return;
        }
        enterDepth();
        loopDepth++;
        try {
            LoopContext loop = new LoopContext(items, 1);
            // one scope for the loop, emptied per iteration: as fresh as jinja2's, without a map per iteration
            Scope s = new Scope(scope);
            for (int i = 0; i < items.size(); i++) {
                tick();
                loop.index0 = i;
                s.vars.clear();
                s.vars.put("loop", loop);
                assign(f.target(), items.get(i), s, f.pos());
                try {
                    execute(f.body(), s, out);
                } catch (LoopSignal signal) {
                    if (signal.isBreak) {
                        break;
                    }
                }
            }
        } finally {
            loopDepth--;
            depth--;
        }
    }

    private void enterDepth() {
        if (++depth > limits.maxDepth()) {
            depth--;
            throw Errors.limit("the template nests loops and macro calls deeper than " + limits.maxDepth()
                    + " (TemplateLimits.maxDepth)");
        }
    }

    private void assign(Node.Target target, Object value, Scope scope, int pos) {
        if (target instanceof Node.NameTarget n) {
            scope.vars.put(n.name(), value);
        } else if (target instanceof Node.AttrTarget a) {
            Object ns = scope.lookup(a.namespace());
            if (!(ns instanceof Namespace namespace)) {
                throw Errors.of("TemplateRuntimeError", "cannot assign attribute on non-namespace object")
                        .at(a.pos());
            }
            namespace.attributes.put(a.attribute(), value);
        } else if (target instanceof Node.TupleTarget t) {
            List<Object> items = Py.iterate(value);
            int want = t.items().size();
            if (items.size() > want) {
                throw Errors.value("too many values to unpack (expected " + want + ")");
            }
            if (items.size() < want) {
                throw Errors.value("not enough values to unpack (expected " + want + ", got " + items.size() + ")");
            }
            for (int i = 0; i < want; i++) {
                assign(t.items().get(i), items.get(i), scope, pos);
            }
        } else {
            throw new IllegalStateException("unknown syntax node");
        }
    }

    // ---- macros ----

    Object callMacro(Macro m, List<Object> args, Map<String, Object> kwargs) {
        enterDepth();
        try {
            Scope s = new Scope(m.closure());
            List<String> names = m.params().names();
            if (args.size() > names.size()) {
                throw Errors.type("macro '" + m.name() + "' takes not more than " + names.size() + " argument(s)");
            }
            Map<String, Object> rest = new LinkedHashMap<>(kwargs);
            Object caller = rest.remove("caller");
            for (int i = 0; i < names.size(); i++) {
                String name = names.get(i);
                Object v;
                if (i < args.size()) {
                    if (rest.containsKey(name)) {
                        throw Errors.type("macro '" + m.name() + "' got multiple values for argument '" + name + "'");
                    }
                    v = args.get(i);
                } else if (rest.containsKey(name)) {
                    v = rest.remove(name);
                } else if (m.params().defaults().get(i) != null) {
                    v = eval(m.params().defaults().get(i), s);
                } else {
                    v = Undefined.hint("parameter '" + name + "' was not provided");
                }
                s.vars.put(name, v);
            }
            if (!rest.isEmpty()) {
                throw Errors.type("macro '" + m.name() + "' takes no keyword argument '" + rest.keySet().iterator().next()
                        + "'");
            }
            if (caller != null) {
                s.vars.put("caller", caller);
            }
            s.vars.put("varargs", List.of());
            s.vars.put("kwargs", new LinkedHashMap<>());
            StringBuilder out = new StringBuilder();
            int savedLoops = loopDepth;
            loopDepth = 0;
            try {
                execute(m.body(), s, out);
            } finally {
                loopDepth = savedLoops;
            }
            // jinja2 wraps a macro's text in Markup only when autoescaping, which transformers leaves off
            return out.toString();
        } finally {
            depth--;
        }
    }

    // ---- expressions ----

    Object eval(Expr e, Scope scope) {
        try {
            return evalExpr(e, scope);
        } catch (Errors.Positioned p) {
            throw p.at(e.pos());
        } catch (StackOverflowError so) {
            throw Errors.limit("the template's expressions nest too deeply").at(e.pos());
        }
    }

    private Object evalExpr(Expr e, Scope scope) {
        if (e instanceof Expr.Const c) {
            return c.value();
        } else if (e instanceof Expr.Name n) {
            Object v = scope.lookup(n.name());
            return v == MISSING ? Undefined.name(n.name()) : v;
        } else if (e instanceof Expr.Attr a) {
            return Values.getattr(eval(a.target(), scope), a.name());
        } else if (e instanceof Expr.Item it) {
            return Values.getitem(eval(it.target(), scope), eval(it.key(), scope));
        } else if (e instanceof Expr.Slice s) {
            Object target = eval(s.target(), scope);
            Object start = s.start() == null ? null : eval(s.start(), scope);
            Object stop = s.stop() == null ? null : eval(s.stop(), scope);
            Object step = s.step() == null ? null : eval(s.step(), scope);
            Object result = Py.slice(target, start, stop, step);
            charge(Py.len(result), Py.isString(result));
            return result;
        } else if (e instanceof Expr.Call c) {
            Object fn = eval(c.function(), scope);
            return call(fn, evalArgs(c.args(), scope), evalKwargs(c.kwargs(), scope));
        } else if (e instanceof Expr.Filter f) {
            Object value = eval(f.value(), scope);
            return Filters.apply(this, f.name(), value, evalArgs(f.args(), scope), evalKwargs(f.kwargs(), scope));
        } else if (e instanceof Expr.Test t) {
            Object value = eval(t.value(), scope);
            boolean r = Tests.apply(this, t.name(), value, evalArgs(t.args(), scope));
            return t.negated() != r;
        } else if (e instanceof Expr.Unary u) {
            Object v = eval(u.operand(), scope);
            return switch (u.op()) {
                case "not" -> !Py.truthy(v);
                case "-" -> Operators.negate(v);
                default -> Operators.positive(v);
            };
        } else if (e instanceof Expr.Binary b) {
            if (b.op().equals("and")) {
                Object l = eval(b.left(), scope);
                return Py.truthy(l) ? eval(b.right(), scope) : l;
            }
            if (b.op().equals("or")) {
                Object l = eval(b.left(), scope);
                return Py.truthy(l) ? l : eval(b.right(), scope);
            }
            return Operators.binary(this, b.op(), eval(b.left(), scope), eval(b.right(), scope));
        } else if (e instanceof Expr.Compare c) {
            Object left = eval(c.first(), scope);
            for (int i = 0; i < c.ops().size(); i++) {
                Object right = eval(c.rest().get(i), scope);
                if (!Operators.compare(c.ops().get(i), left, right)) {
                    return false;
                }
                left = right;
            }
            return true;
        } else if (e instanceof Expr.Cond c) {
            if (Py.truthy(eval(c.test(), scope))) {
                return eval(c.then(), scope);
            }
            return c.orElse() == null ? Undefined.hint("the inline if-expression on line evaluated to false and"
                    + " no else section was defined.") : eval(c.orElse(), scope);
        } else if (e instanceof Expr.ListLit l) {
            charge(l.items().size(), false);
            List<Object> out = new ArrayList<>(l.items().size());
            for (Expr item : l.items()) {
                out.add(eval(item, scope));
            }
            return out;
        } else if (e instanceof Expr.TupleLit t) {
            List<Object> out = new ArrayList<>(t.items().size());
            for (Expr item : t.items()) {
                out.add(eval(item, scope));
            }
            return new PyTuple(out);
        } else if (e instanceof Expr.DictLit d) {
            charge(d.keys().size(), false);
            Map<Object, Object> out = new LinkedHashMap<>();
            for (int i = 0; i < d.keys().size(); i++) {
                Object k = eval(d.keys().get(i), scope);
                Values.requireHashable(k);
                Object existing = Py.findKey(out, k);
                out.put(existing == Py.NO_KEY ? k : existing, eval(d.values().get(i), scope));
            }
            return out;
        } else {
            throw new IllegalStateException("unknown syntax node");
        }
    }

    private List<Object> evalArgs(List<Expr> args, Scope scope) {
        List<Object> out = new ArrayList<>(args.size());
        for (Expr a : args) {
            out.add(eval(a, scope));
        }
        return out;
    }

    private Map<String, Object> evalKwargs(List<Expr.Kwarg> kwargs, Scope scope) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Expr.Kwarg k : kwargs) {
            out.put(k.name(), eval(k.value(), scope));
        }
        return out;
    }

    Object call(Object fn, List<Object> args, Map<String, Object> kwargs) {
        tick();
        if (fn instanceof PyCallable c) {
            return c.call(this, args, kwargs);
        }
        if (fn instanceof Undefined u) {
            throw u.error();
        }
        throw Errors.type("'" + Py.typeName(fn) + "' object is not callable");
    }
}
