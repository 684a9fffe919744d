package io.steer4j.core.chat.template;

import java.util.List;

/** A statement of the template's syntax tree; {@code pos} is its offset in the template, for error messages. */
sealed interface Node {
    int pos();

    /** Where a {@code set} or {@code for} stores: a name, a namespace attribute, or a tuple of names. */
    sealed interface Target {
    }

    record NameTarget(String name) implements Target {
    }

    record AttrTarget(int pos, String namespace, String attribute) implements Target {
    }

    record TupleTarget(int pos, List<Target> items) implements Target {
    }

    record Data(int pos, String text) implements Node {
    }

    record Output(int pos, Expr value) implements Node {
    }

    /** {@code if}/{@code elif} tests with their bodies, then the {@code else} body (maybe empty). */
    record If(int pos, List<Expr> tests, List<List<Node>> bodies, List<Node> orElse) implements Node {
    }

    record For(int pos, Target target, Expr iterable, Expr filter, List<Node> body, List<Node> orElse)
            implements Node {
    }

    record Set(int pos, Target target, Expr value) implements Node {
    }

    /** {@code {% set x | filters %}body{% endset %}}: {@code filter} is the chain applied, or null. */
    record SetBlock(int pos, Target target, Expr filter, List<Node> body) implements Node {
    }

    /** A macro's parameters: names, and the defaults of the last ones (null where none). */
    record Params(List<String> names, List<Expr> defaults) {
    }

    record Macro(int pos, String name, Params params, List<Node> body) implements Node {
    }

    /** {@code {% call(params) macro(args) %}body{% endcall %}}: the body is the macro's {@code caller()}. */
    record CallBlock(int pos, Expr.Call call, Params params, List<Node> body) implements Node {
    }

    /** {@code {% filter chain %}body{% endfilter %}}: {@code filter}'s innermost value is null (the body). */
    record FilterBlock(int pos, Expr filter, List<Node> body) implements Node {
    }

    record With(int pos, List<Target> targets, List<Expr> values, List<Node> body) implements Node {
    }

    record Break(int pos) implements Node {
    }

    record Continue(int pos) implements Node {
    }

    /** include, import, from or extends: refused when reached, as Python's sandbox without a loader does. */
    record NeedsLoader(int pos, String tag) implements Node {
    }
}
