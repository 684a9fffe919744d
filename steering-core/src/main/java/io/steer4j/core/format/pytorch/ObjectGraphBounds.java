package io.steer4j.core.format.pytorch;

import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Refuses object graphs that would make later traversal blow up: cycles, nesting deeper than {@link #MAX_DEPTH},
 * and shared references (memo GETs) that, followed as a tree, reach more than {@link #MAX_EXPANDED} objects. The
 * check itself is iterative and visits each distinct container once, so it costs time linear in the pickle.
 */
final class ObjectGraphBounds {
    static final int MAX_DEPTH = 64;
    static final long MAX_EXPANDED = 10_000_000L;

    private ObjectGraphBounds() {
    }

    private static final class Frame {
        final Object node;
        final Iterator<?> children;
        long depth;
        long expanded = 1;

        Frame(Object node) {
            this.node = node;
            this.children = children(node).iterator();
        }
    }

    /** @throws IllegalArgumentException naming the bound that was passed */
    static void check(Object root) {
        if (!isContainer(root)) {
            return;
        }
        Map<Object, long[]> done = new IdentityHashMap<>();
        Set<Object> onPath = Collections.newSetFromMap(new IdentityHashMap<>());
        Deque<Frame> path = new ArrayDeque<>();
        path.push(new Frame(root));
        onPath.add(root);
        while (!path.isEmpty()) {
            Frame f = path.peek();
            if (f.children.hasNext()) {
                Object c = f.children.next();
                if (!isContainer(c)) {
                    f.expanded = add(f.expanded, 1);
                    f.depth = Math.max(f.depth, 1);
                } else if (onPath.contains(c)) {
                    throw new IllegalArgumentException("the pickle's objects contain themselves (a reference cycle)");
                } else if (done.containsKey(c)) {
                    long[] r = done.get(c);
                    f.depth = Math.max(f.depth, r[0] + 1);
                    f.expanded = add(f.expanded, r[1]);
                } else {
                    if (path.size() >= MAX_DEPTH) {
                        throw new IllegalArgumentException("objects nested deeper than " + MAX_DEPTH + " levels");
                    }
                    path.push(new Frame(c));
                    onPath.add(c);
                }
            } else {
                path.pop();
                onPath.remove(f.node);
                done.put(f.node, new long[] {f.depth, f.expanded});
                Frame parent = path.peek();
                if (parent != null) {
                    parent.depth = Math.max(parent.depth, f.depth + 1);
                    parent.expanded = add(parent.expanded, f.expanded);
                }
            }
        }
    }

    private static long add(long a, long b) {
        long s = a + b;
        if (s > MAX_EXPANDED || s < 0) {
            throw new IllegalArgumentException("shared references expand to more than " + MAX_EXPANDED
                    + " objects (a pickle bomb)");
        }
        return s;
    }

    private static boolean isContainer(Object o) {
        return o instanceof Collection<?> || o instanceof Map<?, ?> || o instanceof PickleTuple
                || o instanceof PickledObject;
    }

    private static Collection<?> children(Object o) {
        if (o instanceof PickleTuple t) {
            return t.items();
        }
        if (o instanceof PickledObject p) {
            return p.fields().values();
        }
        if (o instanceof Map<?, ?> m) {
            return m.values();
        }
        if (o instanceof Collection<?> c) {
            return c;
        }
        return List.of();
    }
}
