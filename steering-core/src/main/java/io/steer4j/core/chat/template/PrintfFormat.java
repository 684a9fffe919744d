package io.steer4j.core.chat.template;

import java.util.List;

/** Python's {@code str % args} for the conversions templates use: {@code %s %r %d %i %f %x %%} with width/precision. */
final class PrintfFormat {
    private PrintfFormat() {
    }

    static String format(String pattern, List<Object> args) {
        return format(pattern, args, false);
    }

    static String format(String pattern, List<Object> args, boolean mappingArgument) {
        StringBuilder out = new StringBuilder();
        int next = 0;
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c != '%') {
                out.append(c);
                continue;
            }
            int j = i + 1;
            StringBuilder flags = new StringBuilder();
            while (j < pattern.length() && "-+ 0#".indexOf(pattern.charAt(j)) >= 0) {
                flags.append(pattern.charAt(j++));
            }
            int width = -1;
            while (j < pattern.length() && Character.isDigit(pattern.charAt(j))) {
                width = Math.max(width, 0) * 10 + (pattern.charAt(j++) - '0');
                if (width > 1_000_000) {
                    throw Errors.value("format width too large");
                }
            }
            int precision = -1;
            if (j < pattern.length() && pattern.charAt(j) == '.') {
                j++;
                precision = 0;
                while (j < pattern.length() && Character.isDigit(pattern.charAt(j))) {
                    precision = precision * 10 + (pattern.charAt(j++) - '0');
                    if (precision > 1000) {
                        throw Errors.value("format precision too large");
                    }
                }
            }
            if (j >= pattern.length()) {
                throw Errors.value("incomplete format");
            }
            char conv = pattern.charAt(j);
            i = j;
            if (conv == '%') {
                out.append('%');
                continue;
            }
            if (next >= args.size()) {
                throw Errors.type("not enough arguments for format string");
            }
            Object arg = args.get(next++);
            String text = switch (conv) {
                case 's' -> Py.str(arg);
                case 'r' -> Py.repr(arg);
                case 'd', 'i' -> {
                    if (!Py.isNumber(arg)) {
                        throw Errors.type("%" + conv + " format: a real number is required, not " + Py.typeName(arg));
                    }
                    yield Long.toString(arg instanceof Double d ? (long) (double) d : Py.toLong(arg));
                }
                case 'f', 'F' -> {
                    if (!Py.isNumber(arg)) {
                        throw Errors.type("must be real number, not " + Py.typeName(arg));
                    }
                    yield new java.math.BigDecimal(Py.toDouble(arg))
                            .setScale(precision < 0 ? 6 : precision, java.math.RoundingMode.HALF_EVEN).toPlainString();
                }
                case 'x' -> Long.toHexString(Py.toLong(arg));
                default -> throw Errors.value("unsupported format character '" + conv + "'");
            };
            if (conv == 's' && precision >= 0 && text.length() > precision) {
                text = text.substring(0, precision);
            }
            if (width > text.length()) {
                String pad = (flags.indexOf("0") >= 0 && conv != 's' ? "0" : " ").repeat(width - text.length());
                text = flags.indexOf("-") >= 0 ? text + pad.replace('0', ' ') : pad + text;
            }
            out.append(text);
        }
        if (next < args.size() && !mappingArgument) {
            throw Errors.type("not all arguments converted during string formatting");
        }
        return out.toString();
    }
}
