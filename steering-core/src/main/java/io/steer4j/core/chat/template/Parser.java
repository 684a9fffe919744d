package io.steer4j.core.chat.template;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Builds the syntax tree from tokens with jinja2's grammar and operator precedence, loosest first: conditional
 * expression, {@code or}, {@code and}, {@code not}, comparisons and {@code in}, {@code + -}, {@code ~},
 * {@code * / // %}, {@code **}, unary {@code - +}, then filters and {@code is} tests, which bind tighter than every
 * binary operator ({@code not x is defined} is {@code not (x is defined)}). Syntax errors carry jinja2's messages.
 */
final class Parser {
    private static final int MAX_NESTING = 200;
    private static final Set<String> COMPARE_OPS = Set.of("==", "!=", "<", ">", "<=", ">=");
    private static final Set<String> LOADER_TAGS = Set.of("include", "import", "from", "extends");

    private final List<Token> tokens;
    private int i;
    private int depth;
    /** Open blocks' end tags (innermost last), for jinja2's "was looking for" message. */
    private final List<String[]> open = new ArrayList<>();

    private Parser(List<Token> tokens) {
        this.tokens = tokens;
    }

    static List<Node> parse(List<Token> tokens) {
        Parser p = new Parser(tokens);
        List<Node> body = p.subparse(null, null);
        return body;
    }

    private Token cur() {
        return tokens.get(i);
    }

    private Token peek() {
        return tokens.get(Math.min(i + 1, tokens.size() - 1));
    }

    private Token next() {
        Token t = tokens.get(i);
        if (i < tokens.size() - 1) {
            i++;
        }
        return t;
    }

    private boolean skipOp(String op) {
        if (cur().isOp(op)) {
            next();
            return true;
        }
        return false;
    }

    private boolean skipName(String name) {
        if (cur().isName(name)) {
            next();
            return true;
        }
        return false;
    }

    private static String describe(Token t) {
        return t.kind() == Token.Kind.NAME ? t.text() : t.describe();
    }

    private Token expect(Token.Kind kind, String text, String what) {
        Token t = cur();
        if (t.kind() == kind && (text == null || t.text().equals(text))) {
            return next();
        }
        if (t.kind() == Token.Kind.EOF) {
            throw Errors.syntax("unexpected end of template, expected '" + what + "'.", t.pos());
        }
        throw Errors.syntax("expected token '" + what + "', got '" + describe(t) + "'", t.pos());
    }

    private void expectBlockEnd() {
        expect(Token.Kind.BLOCK_END, null, "end of statement block");
    }

    private void enter(int pos) {
        if (++depth > MAX_NESTING) {
            throw Errors.limit("the template nests deeper than " + MAX_NESTING + " levels").at(pos);
        }
    }

    /** Statements until one of {@code endTags} opens a block tag (left current), or the end of the template. */
    private List<Node> subparse(String blockName, String[] endTags) {
        List<Node> body = new ArrayList<>();
        while (true) {
            Token t = cur();
            switch (t.kind()) {
                case EOF -> {
                    if (endTags != null) {
                        throw Errors.syntax(eofMessage(), t.pos());
                    }
                    return body;
                }
                case DATA, RAW -> {
                    next();
                    body.add(new Node.Data(t.pos(), t.text()));
                }
                case VAR_BEGIN -> {
                    next();
                    Expr e = parseTuple(true, Set.of(), false);
                    expect(Token.Kind.VAR_END, null, "end of print statement");
                    body.add(new Node.Output(t.pos(), e));
                }
                case BLOCK_BEGIN -> {
                    Token name = peek();
                    if (endTags != null && name.kind() == Token.Kind.NAME) {
                        for (String end : endTags) {
                            if (name.text().equals(end)) {
                                next();
                                return body;
                            }
                        }
                    }
                    next();
                    body.add(statement());
                }
                default -> throw Errors.syntax("unexpected '" + describe(t) + "'", t.pos());
            }
        }
    }

    private String eofMessage() {
        StringBuilder m = new StringBuilder("Unexpected end of template.");
        if (!open.isEmpty()) {
            String[] innermost = open.get(open.size() - 1);
            m.append(" Jinja was looking for the following tags: ");
            for (int k = 1; k < innermost.length; k++) {
                m.append(k > 1 ? " or " : "").append('\'').append(innermost[k]).append('\'');
            }
            m.append(". The innermost block that needs to be closed is '").append(innermost[0]).append("'.");
        }
        return m.toString();
    }

    private List<Node> block(String name, String... endTags) {
        String[] entry = new String[endTags.length + 1];
        entry[0] = name;
        // in the order the tag lists them, as jinja2's "was looking for" message gives them
        System.arraycopy(endTags, 0, entry, 1, endTags.length);
        open.add(entry);
        enter(cur().pos());
        try {
            return subparse(name, endTags);
        } finally {
            depth--;
            open.remove(open.size() - 1);
        }
    }

    /** After an end tag's name: the rest of the tag. */
    private String endTag() {
        String name = next().text();
        expectBlockEnd();
        return name;
    }

    private Node statement() {
        Token t = cur();
        if (t.kind() != Token.Kind.NAME) {
            throw Errors.syntax("tag name expected", t.pos());
        }
        String tag = t.text();
        int pos = t.pos();
        switch (tag) {
            case "for" -> {
                next();
                return parseFor(pos);
            }
            case "if" -> {
                next();
                return parseIf(pos);
            }
            case "set" -> {
                next();
                return parseSet(pos);
            }
            case "macro" -> {
                next();
                String name = expect(Token.Kind.NAME, null, "name").text();
                Node.Params params = parseSignature();
                expectBlockEnd();
                List<Node> body = block("macro", "endmacro");
                endTag();
                return new Node.Macro(pos, name, params, body);
            }
            case "call" -> {
                next();
                Node.Params params = cur().isOp("(") ? parseSignature() : new Node.Params(List.of(), List.of());
                Expr call = parseExpression(true);
                if (!(call instanceof Expr.Call c)) {
                    throw Errors.syntax("expected call", call.pos());
                }
                expectBlockEnd();
                List<Node> body = block("call", "endcall");
                endTag();
                return new Node.CallBlock(pos, c, params, body);
            }
            case "filter" -> {
                next();
                Expr chain = parseFilterChain(null, true);
                expectBlockEnd();
                List<Node> body = block("filter", "endfilter");
                endTag();
                return new Node.FilterBlock(pos, chain, body);
            }
            case "with" -> {
                next();
                List<Node.Target> targets = new ArrayList<>();
                List<Expr> values = new ArrayList<>();
                while (cur().kind() != Token.Kind.BLOCK_END) {
                    if (!targets.isEmpty()) {
                        expect(Token.Kind.OPERATOR, ",", ",");
                    }
                    targets.add(parseAssignTarget(false, Set.of()));
                    expect(Token.Kind.OPERATOR, "=", "=");
                    values.add(parseExpression(true));
                }
                expectBlockEnd();
                List<Node> body = block("with", "endwith");
                endTag();
                return new Node.With(pos, targets, values, body);
            }
            case "break", "continue" -> {
                next();
                expectBlockEnd();
                return tag.equals("break") ? new Node.Break(pos) : new Node.Continue(pos);
            }
            default -> {
                if (LOADER_TAGS.contains(tag)) {
                    next();
                    while (cur().kind() != Token.Kind.BLOCK_END && cur().kind() != Token.Kind.EOF) {
                        next();
                    }
                    expectBlockEnd();
                    return new Node.NeedsLoader(pos, tag);
                }
                StringBuilder m = new StringBuilder("Encountered unknown tag '" + tag + "'.");
                if (!open.isEmpty()) {
                    String[] innermost = open.get(open.size() - 1);
                    m.append(" Jinja was looking for the following tags: ");
                    for (int k = 1; k < innermost.length; k++) {
                        m.append(k > 1 ? " or " : "").append('\'').append(innermost[k]).append('\'');
                    }
                    m.append(". The innermost block that needs to be closed is '").append(innermost[0]).append("'.");
                }
                throw Errors.syntax(m.toString(), pos);
            }
        }
    }

    private Node parseFor(int pos) {
        Node.Target target = parseAssignTarget(true, Set.of("in"));
        expect(Token.Kind.NAME, "in", "in");
        Expr iter = parseTuple(false, Set.of("recursive"), false);
        Expr filter = null;
        if (skipName("if")) {
            filter = parseExpression(true);
        }
        if (cur().isName("recursive")) {
            throw Errors.syntax("recursive loops are not supported by steer4j", cur().pos());
        }
        expectBlockEnd();
        List<Node> body = block("for", "endfor", "else");
        List<Node> orElse = List.of();
        if (next().text().equals("else")) {
            expectBlockEnd();
            orElse = block("for", "endfor");
            next();
        }
        expectBlockEnd();
        return new Node.For(pos, target, iter, filter, body, orElse);
    }

    private Node parseIf(int pos) {
        List<Expr> tests = new ArrayList<>();
        List<List<Node>> bodies = new ArrayList<>();
        List<Node> orElse = List.of();
        tests.add(parseTuple(false, Set.of(), false));
        expectBlockEnd();
        while (true) {
            bodies.add(block("if", "elif", "else", "endif"));
            String tag = next().text();
            if (tag.equals("elif")) {
                tests.add(parseTuple(false, Set.of(), false));
                expectBlockEnd();
                continue;
            }
            if (tag.equals("else")) {
                expectBlockEnd();
                orElse = block("if", "endif");
                next();
            }
            expectBlockEnd();
            return new Node.If(pos, tests, bodies, orElse);
        }
    }

    private Node parseSet(int pos) {
        Node.Target target = parseAssignTarget(true, Set.of());
        if (skipOp("=")) {
            Expr value = parseTuple(true, Set.of(), false);
            expectBlockEnd();
            return new Node.Set(pos, target, value);
        }
        Expr filter = null;
        if (cur().isOp("|")) {
            filter = parseFilterChain(null, false);
        }
        expectBlockEnd();
        List<Node> body = block("set", "endset");
        endTag();
        return new Node.SetBlock(pos, target, filter, body);
    }

    private Node.Target parseAssignTarget(boolean withTuple, Set<String> extraEnd) {
        Token t = cur();
        if (t.kind() == Token.Kind.NAME && peek().isOp(".")) {
            next();
            next();
            String attr = expect(Token.Kind.NAME, null, "name").text();
            return new Node.AttrTarget(t.pos(), t.text(), attr);
        }
        List<Node.Target> items = new ArrayList<>();
        boolean paren = skipOp("(");
        boolean tuple = paren;
        while (true) {
            if (!items.isEmpty()) {
                if (!cur().isOp(",")) {
                    break;
                }
                next();
                tuple = true;
                if (paren ? cur().isOp(")") : (cur().kind() == Token.Kind.BLOCK_END
                        || (cur().kind() == Token.Kind.NAME && extraEnd.contains(cur().text())) || cur().isOp("="))) {
                    break;
                }
            }
            Token n = cur();
            if (n.kind() != Token.Kind.NAME) {
                throw Errors.syntax("can't assign to '" + describe(n) + "'", n.pos());
            }
            next();
            items.add(new Node.NameTarget(n.text()));
            if (!withTuple && !paren) {
                break;
            }
        }
        if (paren) {
            expect(Token.Kind.OPERATOR, ")", ")");
        }
        return tuple ? new Node.TupleTarget(t.pos(), items) : items.get(0);
    }

    private Node.Params parseSignature() {
        List<String> names = new ArrayList<>();
        List<Expr> defaults = new ArrayList<>();
        expect(Token.Kind.OPERATOR, "(", "(");
        while (!cur().isOp(")")) {
            if (!names.isEmpty()) {
                expect(Token.Kind.OPERATOR, ",", ",");
                if (cur().isOp(")")) {
                    break;
                }
            }
            Token n = expect(Token.Kind.NAME, null, "name");
            names.add(n.text());
            if (skipOp("=")) {
                defaults.add(parseExpression(true));
            } else {
                if (defaults.stream().anyMatch(d -> d != null)) {
                    throw Errors.syntax("non-default argument follows default argument", n.pos());
                }
                defaults.add(null);
            }
        }
        next();
        return new Node.Params(names, defaults);
    }

    // ---- expressions ----

    private Expr parseTuple(boolean withCondexpr, Set<String> extraEnd, boolean explicitParens) {
        int pos = cur().pos();
        List<Expr> args = new ArrayList<>();
        boolean isTuple = false;
        while (true) {
            if (!args.isEmpty()) {
                expect(Token.Kind.OPERATOR, ",", ",");
            }
            if (isTupleEnd(extraEnd)) {
                break;
            }
            args.add(parseExpression(withCondexpr));
            if (cur().isOp(",")) {
                isTuple = true;
            } else {
                break;
            }
        }
        if (!isTuple) {
            if (!args.isEmpty()) {
                return args.get(0);
            }
            if (!explicitParens) {
                throw Errors.syntax("Expected an expression, got '" + describe(cur()) + "'", cur().pos());
            }
        }
        return new Expr.TupleLit(pos, args);
    }

    private boolean isTupleEnd(Set<String> extraEnd) {
        Token t = cur();
        return t.kind() == Token.Kind.VAR_END || t.kind() == Token.Kind.BLOCK_END || t.isOp(")")
                || (t.kind() == Token.Kind.NAME && extraEnd.contains(t.text()));
    }

    private Expr parseExpression(boolean withCondexpr) {
        enter(cur().pos());
        try {
            return withCondexpr ? parseCondexpr() : parseOr();
        } finally {
            depth--;
        }
    }

    private Expr parseCondexpr() {
        Expr e1 = parseOr();
        while (cur().isName("if")) {
            int pos = next().pos();
            Expr test = parseOr();
            Expr orElse = skipName("else") ? parseCondexpr() : null;
            e1 = new Expr.Cond(pos, test, e1, orElse);
        }
        return e1;
    }

    private Expr parseOr() {
        Expr left = parseAnd();
        while (cur().isName("or")) {
            int pos = next().pos();
            left = new Expr.Binary(pos, "or", left, parseAnd());
        }
        return left;
    }

    private Expr parseAnd() {
        Expr left = parseNot();
        while (cur().isName("and")) {
            int pos = next().pos();
            left = new Expr.Binary(pos, "and", left, parseNot());
        }
        return left;
    }

    private Expr parseNot() {
        if (cur().isName("not")) {
            int pos = next().pos();
            enter(pos);
            try {
                return new Expr.Unary(pos, "not", parseNot());
            } finally {
                depth--;
            }
        }
        return parseCompare();
    }

    private Expr parseCompare() {
        int pos = cur().pos();
        Expr first = parseMath1();
        List<String> ops = new ArrayList<>();
        List<Expr> rest = new ArrayList<>();
        while (true) {
            Token t = cur();
            if (t.kind() == Token.Kind.OPERATOR && COMPARE_OPS.contains(t.text())) {
                next();
                ops.add(t.text());
            } else if (t.isName("in")) {
                next();
                ops.add("in");
            } else if (t.isName("not") && peek().isName("in")) {
                next();
                next();
                ops.add("notin");
            } else {
                break;
            }
            rest.add(parseMath1());
        }
        return ops.isEmpty() ? first : new Expr.Compare(pos, first, ops, rest);
    }

    private Expr parseMath1() {
        Expr left = parseConcat();
        while (cur().isOp("+") || cur().isOp("-")) {
            Token op = next();
            left = new Expr.Binary(op.pos(), op.text(), left, parseConcat());
        }
        return left;
    }

    private Expr parseConcat() {
        Expr left = parseMath2();
        while (cur().isOp("~")) {
            int pos = next().pos();
            left = new Expr.Binary(pos, "~", left, parseMath2());
        }
        return left;
    }

    private Expr parseMath2() {
        Expr left = parsePow();
        while (cur().isOp("*") || cur().isOp("/") || cur().isOp("//") || cur().isOp("%")) {
            Token op = next();
            left = new Expr.Binary(op.pos(), op.text(), left, parsePow());
        }
        return left;
    }

    private Expr parsePow() {
        Expr left = parseUnary(true);
        while (cur().isOp("**")) {
            int pos = next().pos();
            left = new Expr.Binary(pos, "**", left, parseUnary(true));
        }
        return left;
    }

    private Expr parseUnary(boolean withFilter) {
        Token t = cur();
        enter(t.pos());
        try {
            Expr node;
            if (t.isOp("-") || t.isOp("+")) {
                next();
                node = new Expr.Unary(t.pos(), t.text(), parseUnary(false));
            } else {
                node = parsePrimary();
            }
            node = parsePostfix(node);
            if (withFilter) {
                node = parseFilterExpr(node);
            }
            return node;
        } finally {
            depth--;
        }
    }

    private Expr parsePrimary() {
        Token t = cur();
        switch (t.kind()) {
            case NAME -> {
                next();
                return switch (t.text()) {
                    case "true", "True" -> new Expr.Const(t.pos(), Boolean.TRUE);
                    case "false", "False" -> new Expr.Const(t.pos(), Boolean.FALSE);
                    case "none", "None" -> new Expr.Const(t.pos(), null);
                    default -> new Expr.Name(t.pos(), t.text());
                };
            }
            case STRING -> {
                StringBuilder sb = new StringBuilder();
                while (cur().kind() == Token.Kind.STRING) {
                    sb.append(next().text());
                }
                return new Expr.Const(t.pos(), sb.toString());
            }
            case INTEGER, FLOAT -> {
                next();
                return new Expr.Const(t.pos(), t.value());
            }
            case OPERATOR -> {
                if (t.isOp("(")) {
                    next();
                    Expr e = parseTuple(true, Set.of(), true);
                    expect(Token.Kind.OPERATOR, ")", ")");
                    return e;
                }
                if (t.isOp("[")) {
                    next();
                    List<Expr> items = new ArrayList<>();
                    while (!cur().isOp("]")) {
                        if (!items.isEmpty()) {
                            expect(Token.Kind.OPERATOR, ",", ",");
                            if (cur().isOp("]")) {
                                break;
                            }
                        }
                        items.add(parseExpression(true));
                    }
                    expect(Token.Kind.OPERATOR, "]", "]");
                    return new Expr.ListLit(t.pos(), items);
                }
                if (t.isOp("{")) {
                    next();
                    List<Expr> keys = new ArrayList<>();
                    List<Expr> values = new ArrayList<>();
                    while (!cur().isOp("}")) {
                        if (!keys.isEmpty()) {
                            expect(Token.Kind.OPERATOR, ",", ",");
                            if (cur().isOp("}")) {
                                break;
                            }
                        }
                        keys.add(parseExpression(true));
                        expect(Token.Kind.OPERATOR, ":", ":");
                        values.add(parseExpression(true));
                    }
                    expect(Token.Kind.OPERATOR, "}", "}");
                    return new Expr.DictLit(t.pos(), keys, values);
                }
            }
            default -> {
            }
        }
        if (t.kind() == Token.Kind.EOF) {
            throw Errors.syntax("unexpected end of template", t.pos());
        }
        if (t.kind() == Token.Kind.VAR_END || t.kind() == Token.Kind.BLOCK_END) {
            throw Errors.syntax("Expected an expression, got '" + t.describe() + "'", t.pos());
        }
        throw Errors.syntax("unexpected '" + describe(t) + "'", t.pos());
    }

    private Expr parsePostfix(Expr node) {
        while (true) {
            Token t = cur();
            if (t.isOp(".")) {
                next();
                Token a = cur();
                if (a.kind() == Token.Kind.NAME) {
                    next();
                    node = new Expr.Attr(a.pos(), node, a.text());
                } else if (a.kind() == Token.Kind.INTEGER) {
                    next();
                    node = new Expr.Item(a.pos(), node, new Expr.Const(a.pos(), a.value()));
                } else {
                    throw Errors.syntax("expected name or number", a.pos());
                }
            } else if (t.isOp("[")) {
                next();
                node = parseSubscript(node, t.pos());
                expect(Token.Kind.OPERATOR, "]", "]");
            } else if (t.isOp("(")) {
                node = parseCall(node);
            } else {
                return node;
            }
        }
    }

    private Expr parseSubscript(Expr target, int pos) {
        Expr start = null;
        if (!cur().isOp(":")) {
            start = parseExpression(true);
            if (cur().isOp(",")) {
                List<Expr> keys = new ArrayList<>(List.of(start));
                while (skipOp(",") && !cur().isOp("]")) {
                    keys.add(parseExpression(true));
                }
                return new Expr.Item(pos, target, new Expr.TupleLit(pos, keys));
            }
            if (!cur().isOp(":")) {
                return new Expr.Item(pos, target, start);
            }
        }
        next();
        Expr stop = null;
        Expr step = null;
        if (!cur().isOp("]") && !cur().isOp(":")) {
            stop = parseExpression(true);
        }
        if (skipOp(":") && !cur().isOp("]")) {
            step = parseExpression(true);
        }
        return new Expr.Slice(pos, target, start, stop, step);
    }

    private record Args(List<Expr> args, List<Expr.Kwarg> kwargs) {
    }

    private Args parseCallArgs() {
        expect(Token.Kind.OPERATOR, "(", "(");
        List<Expr> args = new ArrayList<>();
        List<Expr.Kwarg> kwargs = new ArrayList<>();
        boolean first = true;
        while (!cur().isOp(")")) {
            if (!first) {
                expect(Token.Kind.OPERATOR, ",", ",");
                if (cur().isOp(")")) {
                    break;
                }
            }
            first = false;
            if (cur().isOp("*") || cur().isOp("**")) {
                throw Errors.syntax("*args and **kwargs in calls are not supported by steer4j", cur().pos());
            }
            if (cur().kind() == Token.Kind.NAME && peek().isOp("=")) {
                String name = next().text();
                next();
                kwargs.add(new Expr.Kwarg(name, parseExpression(true)));
            } else {
                if (!kwargs.isEmpty()) {
                    throw Errors.syntax("Invalid argument syntax: positional argument follows keyword argument",
                            cur().pos());
                }
                args.add(parseExpression(true));
            }
        }
        next();
        return new Args(args, kwargs);
    }

    private Expr parseCall(Expr fn) {
        int pos = cur().pos();
        Args a = parseCallArgs();
        return new Expr.Call(pos, fn, a.args(), a.kwargs());
    }

    private Expr parseFilterExpr(Expr node) {
        while (true) {
            Token t = cur();
            if (t.isOp("|")) {
                node = parseFilterChain(node, false);
            } else if (t.isName("is")) {
                node = parseTest(node);
            } else if (t.isOp("(")) {
                node = parseCall(node);
            } else {
                return node;
            }
        }
    }

    /** One or more {@code | name(args)}; {@code startInline}: the first filter has no leading pipe. */
    private Expr parseFilterChain(Expr node, boolean startInline) {
        while (cur().isOp("|") || startInline) {
            if (!startInline) {
                next();
            }
            startInline = false;
            Token nameToken = expect(Token.Kind.NAME, null, "name");
            String name = nameToken.text();
            while (cur().isOp(".")) {
                next();
                name += "." + expect(Token.Kind.NAME, null, "name").text();
            }
            if (!Filters.exists(name)) {
                throw Errors.of("TemplateAssertionError", "No filter named '" + name + "'.").at(nameToken.pos());
            }
            Args a = cur().isOp("(") ? parseCallArgs() : new Args(List.of(), List.of());
            node = new Expr.Filter(nameToken.pos(), node, name, a.args(), a.kwargs());
        }
        return node;
    }

    private static final Set<Token.Kind> TEST_ARG_START =
            Set.of(Token.Kind.NAME, Token.Kind.STRING, Token.Kind.INTEGER, Token.Kind.FLOAT);

    private Expr parseTest(Expr node) {
        int pos = next().pos();
        boolean negated = skipName("not");
        Token nameToken = expect(Token.Kind.NAME, null, "name");
        String name = nameToken.text();
        while (cur().isOp(".")) {
            next();
            name += "." + expect(Token.Kind.NAME, null, "name").text();
        }
        if (!Tests.exists(name)) {
            throw Errors.of("TemplateAssertionError", "No test named '" + name + "'.").at(nameToken.pos());
        }
        List<Expr> args = List.of();
        List<Expr.Kwarg> kwargs = List.of();
        Token t = cur();
        if (t.isOp("(")) {
            Args a = parseCallArgs();
            args = a.args();
            kwargs = a.kwargs();
        } else if ((TEST_ARG_START.contains(t.kind()) || t.isOp("[") || t.isOp("{"))
                && !(t.isName("else") || t.isName("or") || t.isName("and"))) {
            if (t.isName("is")) {
                throw Errors.syntax("You cannot chain multiple tests with is", t.pos());
            }
            Expr arg = parsePostfix(parsePrimary());
            args = List.of(arg);
        }
        return new Expr.Test(pos, node, name, args, kwargs, negated);
    }
}
