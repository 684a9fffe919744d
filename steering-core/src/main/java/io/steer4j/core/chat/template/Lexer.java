package io.steer4j.core.chat.template;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a template into tokens exactly as jinja2's lexer does with transformers' settings: {@code trim_blocks}
 * (the first newline after a block or comment tag is dropped), {@code lstrip_blocks} (spaces and tabs before a
 * block or comment tag at the start of a line are dropped), whitespace control ({@code -} strips all whitespace on
 * that side, {@code +} disables lstrip/trim), newlines normalised to {@code \n} and one trailing newline dropped
 * ({@code keep_trailing_newline} off). Delimiters inside string literals and open brackets are not tag ends.
 */
final class Lexer {
    private static final String[] OPERATORS = {"//", "**", "==", "!=", ">=", "<=", "+", "-", "/", "*", "%", "~",
        "[", "]", "(", ")", "{", "}", ">", "<", "=", ".", ":", "|", ",", ";"};

    private final String src;
    private final List<Token> out = new ArrayList<>();
    private final int maxTokens;
    private int pos;
    private boolean lineStarting = true;

    private Lexer(String src, int maxTokens) {
        this.src = src;
        this.maxTokens = maxTokens;
    }

    /** The source as jinja2 sees it: {@code \r\n} and {@code \r} become {@code \n}, one trailing newline dropped. */
    static String normalize(String source) {
        String s = source.replace("\r\n", "\n").replace('\r', '\n');
        return s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
    }

    static List<Token> tokenize(String normalizedSource, int maxTokens) {
        Lexer l = new Lexer(normalizedSource, maxTokens);
        l.run();
        return l.out;
    }

    private void add(Token t) {
        if (out.size() >= maxTokens) {
            throw Errors.syntax("the template has more than " + maxTokens + " tokens", t.pos());
        }
        out.add(t);
    }

    private void run() {
        while (pos < src.length()) {
            int start = nextTag(pos);
            if (start < 0) {
                add(new Token(Token.Kind.DATA, src.substring(pos), null, pos));
                pos = src.length();
                break;
            }
            char kind = src.charAt(start + 1);
            char sign = start + 2 < src.length() ? src.charAt(start + 2) : 0;
            String text = src.substring(pos, start);
            if (sign == '-') {
                text = Py.rstrip(text);
            } else if (sign != '+' && kind != '{') {
                int lpos = text.lastIndexOf('\n') + 1;
                if ((lpos > 0 || lineStarting) && lpos < text.length() && allWhitespace(text, lpos)) {
                    text = text.substring(0, lpos);
                }
            }
            int bodyStart = start + 2 + (sign == '-' || sign == '+' ? 1 : 0);
            if (kind == '%' && isRaw(bodyStart)) {
                if (!text.isEmpty()) {
                    add(new Token(Token.Kind.DATA, text, null, pos));
                }
                raw(start, bodyStart);
                continue;
            }
            if (!text.isEmpty()) {
                add(new Token(Token.Kind.DATA, text, null, pos));
            }
            if (kind == '#') {
                comment(start, bodyStart);
            } else {
                tag(start, bodyStart, kind == '{');
            }
        }
        add(new Token(Token.Kind.EOF, "", null, src.length()));
    }

    private int nextTag(int from) {
        int i = src.indexOf('{', from);
        while (i >= 0 && i + 1 < src.length()) {
            char c = src.charAt(i + 1);
            if (c == '{' || c == '%' || c == '#') {
                return i;
            }
            i = src.indexOf('{', i + 1);
        }
        return -1;
    }

    private static boolean allWhitespace(String s, int from) {
        for (int i = from; i < s.length(); i++) {
            if (!Py.isSpace(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private void comment(int start, int bodyStart) {
        int end = src.indexOf("#}", bodyStart);
        if (end < 0) {
            throw Errors.syntax("Missing end of comment tag", start);
        }
        char before = end > bodyStart ? src.charAt(end - 1) : 0;
        pos = end + 2;
        afterTagEnd(before, true);
    }

    /** After a tag's closing delimiter: {@code -} strips whitespace, otherwise trim_blocks drops one newline. */
    private void afterTagEnd(char sign, boolean trim) {
        if (sign == '-') {
            while (pos < src.length() && Py.isSpace(src.charAt(pos))) {
                pos++;
            }
        } else if (sign != '+' && trim && pos < src.length() && src.charAt(pos) == '\n') {
            pos++;
        }
        lineStarting = pos > 0 && src.charAt(pos - 1) == '\n';
    }

    private boolean isRaw(int bodyStart) {
        int i = skipSpace(bodyStart);
        if (!src.startsWith("raw", i)) {
            return false;
        }
        int j = skipSpace(i + 3);
        return src.startsWith("%}", j) || src.startsWith("-%}", j);
    }

    private int skipSpace(int i) {
        while (i < src.length() && Py.isSpace(src.charAt(i))) {
            i++;
        }
        return i;
    }

    private void raw(int start, int bodyStart) {
        int i = skipSpace(skipSpace(bodyStart) + 3);
        if (src.charAt(i) == '-') {
            pos = skipSpace(i + 3);
        } else {
            pos = i + 2;
        }
        int search = pos;
        while (true) {
            int tag = src.indexOf("{%", search);
            if (tag < 0) {
                throw Errors.syntax("Missing end of raw directive", start);
            }
            char sign = tag + 2 < src.length() ? src.charAt(tag + 2) : 0;
            int body = tag + 2 + (sign == '-' || sign == '+' ? 1 : 0);
            int k = skipSpace(body);
            if (src.startsWith("endraw", k)) {
                int e = skipSpace(k + 6);
                char endSign = 0;
                if (e < src.length() && (src.charAt(e) == '-' || src.charAt(e) == '+')) {
                    endSign = src.charAt(e);
                    e++;
                }
                if (src.startsWith("%}", e)) {
                    String text = src.substring(pos, tag);
                    if (sign == '-') {
                        text = Py.rstrip(text);
                    } else if (sign != '+') {
                        int lpos = text.lastIndexOf('\n') + 1;
                        if (lpos < text.length() && allWhitespace(text, lpos)) {
                            text = text.substring(0, lpos);
                        }
                    }
                    add(new Token(Token.Kind.RAW, text, null, pos));
                    pos = e + 2;
                    afterTagEnd(endSign, true);
                    return;
                }
            }
            search = tag + 2;
        }
    }

    private void tag(int start, int bodyStart, boolean variable) {
        add(new Token(variable ? Token.Kind.VAR_BEGIN : Token.Kind.BLOCK_BEGIN, variable ? "{{" : "{%", null, start));
        int i = bodyStart;
        int depth = 0;
        String close = variable ? "}}" : "%}";
        while (true) {
            i = skipSpace(i);
            if (i >= src.length()) {
                pos = i;
                lineStarting = false;
                return; // the parser reports the missing end
            }
            char c = src.charAt(i);
            if (depth == 0) {
                if (src.startsWith(close, i)) {
                    add(new Token(variable ? Token.Kind.VAR_END : Token.Kind.BLOCK_END, close, null, i));
                    pos = i + 2;
                    afterTagEnd((char) 0, !variable);
                    return;
                }
                if ((c == '-' || (c == '+' && !variable)) && src.startsWith(close, i + 1)) {
                    add(new Token(variable ? Token.Kind.VAR_END : Token.Kind.BLOCK_END, close, null, i));
                    pos = i + 3;
                    afterTagEnd(c, !variable);
                    return;
                }
            }
            if (c == '\'' || c == '"') {
                i = string(i, c);
            } else if (Character.isDigit(c)) {
                i = number(i);
            } else if (c == '_' || Character.isLetter(c)) {
                int j = i + 1;
                while (j < src.length() && (src.charAt(j) == '_' || Character.isLetterOrDigit(src.charAt(j)))) {
                    j++;
                }
                add(new Token(Token.Kind.NAME, src.substring(i, j), null, i));
                i = j;
            } else {
                String op = null;
                for (String o : OPERATORS) {
                    if (src.startsWith(o, i)) {
                        op = o;
                        break;
                    }
                }
                if (op == null) {
                    throw Errors.syntax("unexpected character (code point " + src.codePointAt(i) + ")", i);
                }
                if (op.equals("(") || op.equals("[") || op.equals("{")) {
                    depth++;
                } else if (op.equals(")") || op.equals("]") || op.equals("}")) {
                    if (depth == 0) {
                        throw Errors.syntax("unexpected '" + op + "'", i);
                    }
                    depth--;
                }
                add(new Token(Token.Kind.OPERATOR, op, null, i));
                i += op.length();
            }
        }
    }

    private int string(int start, char quote) {
        StringBuilder sb = new StringBuilder();
        int i = start + 1;
        while (true) {
            if (i >= src.length()) {
                throw Errors.syntax("unexpected end of string literal", start);
            }
            char c = src.charAt(i);
            if (c == quote) {
                break;
            }
            if (c == '\\' && i + 1 < src.length()) {
                i = escape(i, sb);
                continue;
            }
            sb.append(c);
            i++;
        }
        add(new Token(Token.Kind.STRING, sb.toString(), sb.toString(), start));
        return i + 1;
    }

    /** Python's unicode-escape decoding of one escape; an unknown one keeps its backslash, as Python does. */
    private int escape(int i, StringBuilder sb) {
        char e = src.charAt(i + 1);
        switch (e) {
            case 'n' -> sb.append('\n');
            case 't' -> sb.append('\t');
            case 'r' -> sb.append('\r');
            case '\\' -> sb.append('\\');
            case '\'' -> sb.append('\'');
            case '"' -> sb.append('"');
            case 'a' -> sb.append('\u0007');
            case 'b' -> sb.append('\b');
            case 'f' -> sb.append('\f');
            case 'v' -> sb.append('\u000b');
            case '\n' -> { }
            case 'x', 'u', 'U' -> {
                int n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                if (i + 2 + n > src.length()) {
                    throw Errors.syntax("truncated \\" + e + " escape in a string literal", i);
                }
                int cp;
                try {
                    cp = Integer.parseInt(src.substring(i + 2, i + 2 + n), 16);
                } catch (NumberFormatException ex) {
                    throw Errors.syntax("truncated \\" + e + " escape in a string literal", i);
                }
                if (!Character.isValidCodePoint(cp)) {
                    throw Errors.syntax("illegal Unicode character in a string literal", i);
                }
                sb.appendCodePoint(cp);
                return i + 2 + n;
            }
            default -> {
                if (e >= '0' && e <= '7') {
                    int j = i + 1;
                    int v = 0;
                    while (j < src.length() && j < i + 4 && src.charAt(j) >= '0' && src.charAt(j) <= '7') {
                        v = v * 8 + (src.charAt(j) - '0');
                        j++;
                    }
                    sb.append((char) v);
                    return j;
                }
                sb.append('\\').append(e);
            }
        }
        return i + 2;
    }

    private int number(int start) {
        int i = digits(start);
        boolean isFloat = false;
        if (i + 1 < src.length() && src.charAt(i) == '.' && Character.isDigit(src.charAt(i + 1))
                && (start == 0 || src.charAt(start - 1) != '.')) {
            i = digits(i + 1);
            isFloat = true;
        }
        if (i < src.length() && (src.charAt(i) == 'e' || src.charAt(i) == 'E')) {
            int j = i + 1;
            if (j < src.length() && (src.charAt(j) == '+' || src.charAt(j) == '-')) {
                j++;
            }
            if (j < src.length() && Character.isDigit(src.charAt(j))) {
                i = digits(j);
                isFloat = true;
            }
        }
        String text = src.substring(start, i).replace("_", "");
        if (isFloat) {
            add(new Token(Token.Kind.FLOAT, text, Double.parseDouble(text), start));
        } else {
            try {
                add(new Token(Token.Kind.INTEGER, text, Long.parseLong(text), start));
            } catch (NumberFormatException e) {
                throw Errors.syntax("integer literal too large (steer4j keeps integers in 64 bits)", start);
            }
        }
        return i;
    }

    private int digits(int i) {
        while (i < src.length() && (Character.isDigit(src.charAt(i))
                || (src.charAt(i) == '_' && i + 1 < src.length() && Character.isDigit(src.charAt(i + 1))))) {
            i++;
        }
        return i;
    }
}
