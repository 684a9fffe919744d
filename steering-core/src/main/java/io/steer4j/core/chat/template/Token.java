package io.steer4j.core.chat.template;

/**
 * One token of a template: literal text between tags, a tag delimiter, or a piece of an expression.
 *
 * @param kind  what the token is
 * @param text  the text (data, a name, an operator, a decoded string literal, a number's digits)
 * @param value the decoded value of a number or string literal, else null
 * @param pos   offset of the token in the (newline-normalised) template
 */
record Token(Kind kind, String text, Object value, int pos) {
    enum Kind { DATA, VAR_BEGIN, VAR_END, BLOCK_BEGIN, BLOCK_END, RAW, NAME, STRING, INTEGER, FLOAT, OPERATOR, EOF }

    boolean is(Kind k, String t) {
        return kind == k && text.equals(t);
    }

    boolean isName(String name) {
        return kind == Kind.NAME && text.equals(name);
    }

    boolean isOp(String op) {
        return kind == Kind.OPERATOR && text.equals(op);
    }

    /** How Jinja names the token in its syntax errors ({@code 'end of print statement'}, {@code 'name'}...). */
    String describe() {
        return switch (kind) {
            case VAR_END -> "end of print statement";
            case BLOCK_END -> "end of statement block";
            case EOF -> "end of template";
            case NAME -> "name";
            case STRING -> "string";
            case INTEGER -> "integer";
            case FLOAT -> "float";
            case OPERATOR -> text;
            default -> kind.name().toLowerCase();
        };
    }
}
