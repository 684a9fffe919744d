package io.steer4j.core.chat.template;

import java.util.List;

/** An expression of the template's syntax tree; {@code pos} is its offset in the template, for error messages. */
sealed interface Expr {
    int pos();

    /** A keyword argument {@code name=value} of a call, filter or test. */
    record Kwarg(String name, Expr value) {
    }

    record Const(int pos, Object value) implements Expr {
    }

    record Name(int pos, String name) implements Expr {
    }

    record Attr(int pos, Expr target, String name) implements Expr {
    }

    record Item(int pos, Expr target, Expr key) implements Expr {
    }

    record Slice(int pos, Expr target, Expr start, Expr stop, Expr step) implements Expr {
    }

    record Call(int pos, Expr function, List<Expr> args, List<Kwarg> kwargs) implements Expr {
    }

    /** {@code value | name(args)}; {@code value} is null in a {@code {% filter %}} block's chain. */
    record Filter(int pos, Expr value, String name, List<Expr> args, List<Kwarg> kwargs) implements Expr {
    }

    record Test(int pos, Expr value, String name, List<Expr> args, List<Kwarg> kwargs, boolean negated)
            implements Expr {
    }

    /** {@code not}, unary {@code -} and {@code +}. */
    record Unary(int pos, String op, Expr operand) implements Expr {
    }

    /** Arithmetic, {@code ~}, {@code and}, {@code or}. */
    record Binary(int pos, String op, Expr left, Expr right) implements Expr {
    }

    /** A chain {@code a < b <= c}: ops.get(i) compares operand i with operand i + 1. */
    record Compare(int pos, Expr first, List<String> ops, List<Expr> rest) implements Expr {
    }

    /** {@code then if test else orElse}; {@code orElse} null gives an undefined value. */
    record Cond(int pos, Expr test, Expr then, Expr orElse) implements Expr {
    }

    record ListLit(int pos, List<Expr> items) implements Expr {
    }

    record TupleLit(int pos, List<Expr> items) implements Expr {
    }

    record DictLit(int pos, List<Expr> keys, List<Expr> values) implements Expr {
    }
}
