package io.steer4j.core.chat.template;

/**
 * markupsafe's {@code Markup}: text marked safe by {@code |safe} or {@code |escape}. transformers renders without
 * autoescaping, so Markup prints as its text, but arithmetic keeps jinja2's rules: {@code Markup + str} escapes the
 * plain string ({@code '<'|safe + '>'} is {@code <&gt;}), as does {@code str + Markup}.
 */
record Markup(String text) {
    static String escape(String s) {
        StringBuilder sb = null;
        for (int i = 0; i < s.length(); i++) {
            String rep = switch (s.charAt(i)) {
                case '&' -> "&amp;";
                case '<' -> "&lt;";
                case '>' -> "&gt;";
                case '\'' -> "&#39;";
                case '"' -> "&#34;";
                default -> null;
            };
            if (rep != null && sb == null) {
                sb = new StringBuilder(s.length() + 16).append(s, 0, i);
            }
            if (sb != null) {
                if (rep != null) {
                    sb.append(rep);
                } else {
                    sb.append(s.charAt(i));
                }
            }
        }
        return sb == null ? s : sb.toString();
    }

    /** {@code escape(value)}: Markup stays as it is, anything else is printed and escaped. */
    static Markup escapeValue(Object value) {
        return value instanceof Markup m ? m : new Markup(escape(Py.str(value)));
    }

    @Override
    public String toString() {
        return text;
    }
}
