package io.steer4j.core.chat.template;

import java.util.List;

/** jinja2's {@code loop} variable inside a for loop: position, neighbours, {@code cycle} and {@code changed}. */
final class LoopContext {
    private final List<Object> items;
    private final int depth;
    int index0;
    private Object lastChanged = Py.NO_KEY;

    LoopContext(List<Object> items, int depth) {
        this.items = items;
        this.depth = depth;
    }

    int index() {
        return index0 + 1;
    }

    int length() {
        return items.size();
    }

    Object attribute(String name) {
        int n = items.size();
        return switch (name) {
            case "index" -> (long) index0 + 1;
            case "index0" -> (long) index0;
            case "revindex" -> (long) (n - index0);
            case "revindex0" -> (long) (n - index0 - 1);
            case "first" -> index0 == 0;
            case "last" -> index0 == n - 1;
            case "length" -> (long) n;
            case "depth" -> (long) depth;
            case "depth0" -> (long) depth - 1;
            case "previtem" -> index0 > 0 ? items.get(index0 - 1) : Undefined.hint("there is no previous item");
            case "nextitem" -> index0 < n - 1 ? items.get(index0 + 1) : Undefined.hint("there is no next item");
            case "cycle" -> (PyCallable) (r, args, kwargs) -> {
                if (args.isEmpty()) {
                    throw Errors.type("no items for cycling given");
                }
                return args.get(index0 % args.size());
            };
            case "changed" -> (PyCallable) (r, args, kwargs) -> {
                Object key = new PyTuple(args);
                if (lastChanged == Py.NO_KEY || !Py.equal(lastChanged, key)) {
                    lastChanged = key;
                    return true;
                }
                return false;
            };
            default -> name.startsWith("_") ? Undefined.unsafe(this, name) : Undefined.missing(this, name);
        };
    }
}
