package io.steer4j.core.format.pytorch;

import io.steer4j.core.format.VectorFileFormatException;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A pickle machine that only builds data: numbers, strings, bytes, lists, tuples, dicts, sets, tensors (through
 * {@link AllowedGlobal}'s rebuild functions and persistent storage ids), numpy arrays and the field dicts of two
 * allowed dataclasses. It calls nothing: every global is looked up in the allow-list and interpreted here, and any
 * other global or any opcode it does not implement is refused with an exception naming it and its byte position.
 *
 * <p>Resources are bounded independently of what the pickle claims: lengths are checked against the bytes left,
 * the memo, the stack and the number of objects created have caps, and after STOP {@link ObjectGraphBounds}
 * refuses cycles, nesting deeper than {@value ObjectGraphBounds#MAX_DEPTH} and shared references that would
 * expand to more than {@value ObjectGraphBounds#MAX_EXPANDED} objects (a "billion laughs" memo bomb). The machine
 * itself never recurses.
 */
final class RestrictedUnpickler {
    /** Where tensors' bytes come from: {@code data/KEY} of the archive, checked against the claimed count. */
    interface StorageSource {
        TorchStorage storage(TorchStorageType type, String key, long numel) throws IOException;
    }

    static final int MAX_MEMO = 1 << 20;
    static final int MAX_OBJECTS = 1 << 22;
    static final int MAX_LONG_BYTES = 64;

    private static final Object MARK = new Object() {
        @Override
        public String toString() {
            return "MARK";
        }
    };

    /** Stands in for Python's None on the stack (Java collections here hold no nulls). */
    static final Object NONE = new Object() {
        @Override
        public String toString() {
            return "None";
        }
    };

    private final Path file;
    private final String entry;
    private final ByteBuffer in;
    private final StorageSource storages;
    private final List<Object> stack = new ArrayList<>();
    private final Map<Integer, Object> memo = new HashMap<>();
    private final Map<String, TorchStorage> loadedStorages = new HashMap<>();
    private long objects;
    private long tensorElements;
    private final long maxTensorElements;
    private int opPosition;

    /**
     * @param file              the file, for messages
     * @param entry             the pickle's name inside it, for messages (e.g. {@code archive/data.pkl})
     * @param pickle            the pickle bytes
     * @param storages          resolves persistent ids
     * @param maxTensorElements how many tensor elements in all the pickle may materialise (views may share a
     *                          storage; this keeps the total within a multiple of the file size)
     */
    RestrictedUnpickler(Path file, String entry, byte[] pickle, StorageSource storages, long maxTensorElements) {
        this(file, entry, ByteBuffer.wrap(pickle), storages, maxTensorElements);
    }

    /**
     * A machine reading from {@code in}'s position up to its STOP, leaving the position after it (the legacy
     * format holds several pickles in a row); positions in messages are {@code in}'s.
     */
    RestrictedUnpickler(Path file, String entry, ByteBuffer in, StorageSource storages, long maxTensorElements) {
        this.file = file;
        this.entry = entry;
        this.in = in.order(ByteOrder.LITTLE_ENDIAN);
        this.storages = storages;
        this.maxTensorElements = maxTensorElements;
    }

    /**
     * Runs the pickle to its STOP and returns the object it built.
     *
     * @throws VectorFileFormatException naming the entry, byte position and problem for anything refused or corrupt
     * @throws IOException               if a storage cannot be read
     */
    Object load() throws IOException {
        try {
            Object result = run();
            ObjectGraphBounds.check(result);
            return result;
        } catch (IllegalArgumentException | ArithmeticException | IndexOutOfBoundsException
                 | java.nio.BufferUnderflowException e) {
            throw refuse(e.getMessage() == null ? e.toString() : e.getMessage(), e);
        }
    }

    private VectorFileFormatException refuse(String problem, Throwable cause) {
        return new VectorFileFormatException(file, entry + " byte " + opPosition + ": " + problem, cause);
    }

    private Object run() throws IOException {
        while (true) {
            if (!in.hasRemaining()) {
                opPosition = in.position();
                throw new IllegalArgumentException("pickle ends without STOP");
            }
            opPosition = in.position();
            int code = in.get() & 0xFF;
            PickleOpcode op = PickleOpcode.of(code);
            if (op == null) {
                throw new IllegalArgumentException(String.format("unknown opcode 0x%02x", code));
            }
            switch (op) {
                case PROTO -> {
                    int v = in.get() & 0xFF;
                    if (v > 5) {
                        throw new IllegalArgumentException("pickle protocol " + v + " is newer than 5");
                    }
                }
                case FRAME -> in.getLong();
                case STOP -> {
                    if (stack.size() != 1) {
                        throw new IllegalArgumentException("STOP with " + stack.size() + " items on the stack");
                    }
                    return stack.get(0);
                }
                case MARK -> push(MARK);
                case POP -> pop();
                case POP_MARK -> popMark();
                case DUP -> push(peek());
                case NONE -> push(NONE);
                case NEWTRUE -> push(Boolean.TRUE);
                case NEWFALSE -> push(Boolean.FALSE);
                case BININT -> push((long) in.getInt());
                case BININT1 -> push((long) (in.get() & 0xFF));
                case BININT2 -> push((long) (in.getShort() & 0xFFFF));
                case LONG1 -> push(readLong(in.get() & 0xFF));
                case LONG4 -> push(readLong(in.getInt()));
                case BINFLOAT -> push(Double.longBitsToDouble(Long.reverseBytes(in.getLong())));  // big-endian
                case SHORT_BINUNICODE -> push(readUtf8(in.get() & 0xFF));
                case BINUNICODE -> push(readUtf8(Integer.toUnsignedLong(in.getInt())));
                case BINUNICODE8 -> push(readUtf8(in.getLong()));
                case SHORT_BINSTRING -> push(readLatin1(in.get() & 0xFF));
                case BINSTRING -> push(readLatin1(in.getInt()));
                case SHORT_BINBYTES -> push(readBytes(in.get() & 0xFF));
                case BINBYTES -> push(readBytes(Integer.toUnsignedLong(in.getInt())));
                case BINBYTES8 -> push(readBytes(in.getLong()));
                case EMPTY_LIST -> push(created(new ArrayList<>()));
                case EMPTY_DICT -> push(created(new LinkedHashMap<>()));
                case EMPTY_SET -> push(created(new LinkedHashSet<>()));
                case EMPTY_TUPLE -> push(created(new PickleTuple(List.of())));
                case TUPLE -> push(created(new PickleTuple(popMark())));
                case TUPLE1 -> push(created(new PickleTuple(popN(1))));
                case TUPLE2 -> push(created(new PickleTuple(popN(2))));
                case TUPLE3 -> push(created(new PickleTuple(popN(3))));
                case LIST -> push(created(new ArrayList<>(popMark())));
                case FROZENSET -> push(created(new LinkedHashSet<>(popMark())));
                case DICT -> {
                    Map<Object, Object> d = new LinkedHashMap<>();
                    putAll(d, popMark());
                    push(created(d));
                }
                case APPEND -> {
                    Object v = pop();
                    list(peek()).add(v);
                }
                case APPENDS -> {
                    List<Object> items = popMark();
                    list(peek()).addAll(items);
                }
                case ADDITEMS -> {
                    List<Object> items = popMark();
                    if (!(peek() instanceof Set<?>)) {
                        throw new IllegalArgumentException("ADDITEMS on " + typeName(peek()));
                    }
                    @SuppressWarnings("unchecked") Set<Object> s = (Set<Object>) peek();
                    for (Object o : items) {
                        s.add(key(o));
                    }
                }
                case SETITEM -> {
                    Object v = pop();
                    Object k = pop();
                    dict(peek()).put(key(k), v);
                }
                case SETITEMS -> {
                    List<Object> kv = popMark();
                    putAll(dict(peek()), kv);
                }
                case BINPUT -> memoPut(in.get() & 0xFF);
                case LONG_BINPUT -> memoPut(in.getInt());
                case MEMOIZE -> memoPut(memo.size());
                case BINGET -> push(memoGet(in.get() & 0xFF));
                case LONG_BINGET -> push(memoGet(in.getInt()));
                case GLOBAL -> push(global(readLine(), readLine()));
                case STACK_GLOBAL -> {
                    Object name = pop();
                    Object module = pop();
                    if (!(module instanceof String m) || !(name instanceof String n)) {
                        throw new IllegalArgumentException("STACK_GLOBAL needs two strings");
                    }
                    push(global(m, n));
                }
                case REDUCE -> {
                    Object args = pop();
                    Object callable = pop();
                    push(created(reduce(callable, tuple(args, "REDUCE arguments"))));
                }
                case NEWOBJ -> {
                    Object args = pop();
                    Object cls = pop();
                    push(created(newObject(cls, tuple(args, "NEWOBJ arguments"))));
                }
                case NEWOBJ_EX -> {
                    Object kwargs = pop();
                    Object args = pop();
                    Object cls = pop();
                    if (!(kwargs instanceof Map<?, ?> k) || !k.isEmpty()) {
                        throw new IllegalArgumentException("NEWOBJ_EX with keyword arguments is not allowed");
                    }
                    push(created(newObject(cls, tuple(args, "NEWOBJ_EX arguments"))));
                }
                case BUILD -> {
                    Object state = pop();
                    build(peek(), state);
                }
                case BINPERSID -> push(persistentLoad(tuple(pop(), "persistent id")));
                default -> throw new IllegalArgumentException("opcode " + op.describe() + " is not allowed");
            }
        }
    }

    private Object global(String module, String name) {
        AllowedGlobal g = AllowedGlobal.lookup(module, name);
        if (g == null) {
            throw new IllegalArgumentException("global '" + module + "." + name + "' is not allowed (only tensors, "
                    + "containers, numpy arrays and steering-vectors/repeng vector classes are read)");
        }
        return g;
    }

    private Object reduce(Object callable, PickleTuple args) throws IOException {
        if (!(callable instanceof AllowedGlobal g)) {
            throw new IllegalArgumentException("REDUCE calls " + typeName(callable) + ", not an allowed function");
        }
        switch (g) {
            case REBUILD_TENSOR_V2 -> {
                // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
                if (args.size() < 4 || !(args.get(0) instanceof TorchStorage storage)) {
                    throw new IllegalArgumentException(g.qualifiedName() + " needs (storage, offset, size, stride,"
                            + " ...), got " + args.size() + " arguments");
                }
                long[] size = longs(args.get(2), "tensor size");
                long[] stride = longs(args.get(3), "tensor stride");
                if (storage.data() == null) {
                    // a dry run that only records which storages the pickle names (legacy format, whose storage
                    // bytes follow the pickle): no values to gather yet
                    return new TorchTensor(storage.type().dtype(), size, new float[0]);
                }
                TorchTensor t = TorchTensor.rebuild(storage, integer(args.get(1), "storage offset"), size, stride);
                tensorElements += t.values().length;
                if (tensorElements > maxTensorElements) {
                    throw new IllegalArgumentException("tensors hold more than " + maxTensorElements
                            + " elements in all, more than a file of this size can honestly store");
                }
                return t;
            }
            case REBUILD_PARAMETER, REBUILD_PARAMETER_WITH_STATE -> {
                if (args.size() < 1 || !(args.get(0) instanceof TorchTensor t)) {
                    throw new IllegalArgumentException(g.qualifiedName() + " needs a tensor as first argument");
                }
                return t;
            }
            case ORDERED_DICT -> {
                Map<Object, Object> d = new LinkedHashMap<>();
                if (args.size() == 1 && args.get(0) instanceof List<?> pairs) {
                    for (Object p : pairs) {
                        PickleTuple kv = tuple(p, "OrderedDict item");
                        if (kv.size() != 2) {
                            throw new IllegalArgumentException("OrderedDict item is not a (key, value) pair");
                        }
                        d.put(key(kv.get(0)), kv.get(1));
                    }
                } else if (args.size() != 0) {
                    throw new IllegalArgumentException("OrderedDict takes no arguments or a list of pairs");
                }
                return d;
            }
            case CODECS_ENCODE -> {
                if (args.size() != 2 || !(args.get(0) instanceof String s) || !"latin1".equals(args.get(1))) {
                    throw new IllegalArgumentException("_codecs.encode is only allowed as encode(str, 'latin1')");
                }
                byte[] b = new byte[s.length()];
                for (int i = 0; i < b.length; i++) {
                    char c = s.charAt(i);
                    if (c > 0xFF) {
                        throw new IllegalArgumentException("_codecs.encode: character outside latin1");
                    }
                    b[i] = (byte) c;
                }
                return b;
            }
            case NUMPY_RECONSTRUCT, NUMPY2_RECONSTRUCT -> {
                if (args.size() < 1 || args.get(0) != AllowedGlobal.NUMPY_NDARRAY) {
                    throw new IllegalArgumentException(g.qualifiedName() + " may only reconstruct numpy.ndarray");
                }
                return new NumpyArray();
            }
            case NUMPY_DTYPE -> {
                if (args.size() < 1 || !(args.get(0) instanceof String descr)) {
                    throw new IllegalArgumentException("numpy.dtype needs a type string");
                }
                return new NumpyDtype(descr);
            }
            default -> throw new IllegalArgumentException("'" + g.qualifiedName() + "' cannot be called");
        }
    }

    private Object newObject(Object cls, PickleTuple args) {
        if (!(cls instanceof AllowedGlobal g) || !g.isDataclass()) {
            throw new IllegalArgumentException("NEWOBJ of " + (cls instanceof AllowedGlobal g2 ? "'"
                    + g2.qualifiedName() + "'" : typeName(cls)) + " is not allowed");
        }
        if (args.size() != 0) {
            throw new IllegalArgumentException("NEWOBJ of '" + g.qualifiedName() + "' with arguments");
        }
        return new PickledObject(g);
    }

    private void build(Object target, Object state) {
        if (target instanceof PickledObject o) {
            // (dict, slots) when the class has __slots__; the dataclasses read here have a plain __dict__
            Object dictState = state instanceof PickleTuple t && t.size() == 2 ? t.get(0) : state;
            for (Map.Entry<Object, Object> e : dict(dictState).entrySet()) {
                if (!(e.getKey() instanceof String field)) {
                    throw new IllegalArgumentException("BUILD state of '" + o.type().qualifiedName()
                            + "' has a non-string field name");
                }
                o.fields().put(field, e.getValue());
            }
        } else if (target instanceof NumpyArray a) {
            a.setState(tuple(state, "numpy array state"));
        } else if (target instanceof NumpyDtype d) {
            d.setState(tuple(state, "numpy dtype state"));
        } else if (target instanceof TorchTensor && (state == NONE || state instanceof Map<?, ?> m && m.isEmpty())) {
            // a tensor without Python attributes: nothing to set
        } else {
            throw new IllegalArgumentException("BUILD on " + typeName(target) + " is not allowed");
        }
    }

    private Object persistentLoad(PickleTuple pid) throws IOException {
        // ('storage', storage_type, key, location, numel), with a sixth item view_metadata in the legacy format
        if (pid.size() < 5 || pid.size() > 6 || !"storage".equals(pid.get(0))) {
            throw new IllegalArgumentException("persistent id is not ('storage', type, key, location, numel)");
        }
        if (pid.size() == 6 && pid.get(5) != NONE) {
            throw new IllegalArgumentException("legacy storage views (view_metadata) are not supported");
        }
        if (!(pid.get(1) instanceof AllowedGlobal g) || g.storageType() == null) {
            throw new IllegalArgumentException("storage type " + (pid.get(1) instanceof AllowedGlobal g2
                    ? "'" + g2.qualifiedName() + "'" : typeName(pid.get(1)))
                    + " is not a float32, float16, bfloat16 or float64 storage");
        }
        if (!(pid.get(2) instanceof String key)) {
            throw new IllegalArgumentException("storage key is not a string");
        }
        long numel = integer(pid.get(4), "storage element count");
        TorchStorage s = loadedStorages.get(key);
        if (s == null) {
            s = storages.storage(g.storageType(), key, numel);
            loadedStorages.put(key, s);
        } else if (s.type() != g.storageType() || s.numel() != numel) {
            throw new IllegalArgumentException("storage '" + key + "' is named with two types or sizes");
        }
        return s;
    }

    private Object readLong(int length) {
        if (length < 0 || length > MAX_LONG_BYTES) {
            throw new IllegalArgumentException("integer of " + Integer.toUnsignedString(length)
                    + " bytes (at most " + MAX_LONG_BYTES + " allowed)");
        }
        byte[] le = take(length);
        if (length == 0) {
            return 0L;
        }
        byte[] be = new byte[length];
        for (int i = 0; i < length; i++) {
            be[i] = le[length - 1 - i];
        }
        BigInteger v = new BigInteger(be);
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    private byte[] take(long length) {
        if (length < 0 || length > in.remaining()) {
            throw new IllegalArgumentException("claims " + Long.toUnsignedString(length) + " bytes but only "
                    + in.remaining() + " remain");
        }
        byte[] b = new byte[(int) length];
        in.get(b);
        return b;
    }

    private String readUtf8(long length) {
        byte[] b = take(length);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("string is not valid UTF-8");
        }
    }

    private String readLatin1(long length) {
        return new String(take(length), StandardCharsets.ISO_8859_1);
    }

    private byte[] readBytes(long length) {
        return take(length);
    }

    private String readLine() {
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (!in.hasRemaining() || sb.length() > 256) {
                throw new IllegalArgumentException("GLOBAL name is not a line of at most 256 characters");
            }
            char c = (char) (in.get() & 0xFF);
            if (c == '\n') {
                return sb.toString();
            }
            sb.append(c);
        }
    }

    private <T> T created(T o) {
        if (++objects > MAX_OBJECTS) {
            throw new IllegalArgumentException("more than " + MAX_OBJECTS + " objects");
        }
        return o;
    }

    private void push(Object o) {
        if (stack.size() >= MAX_OBJECTS) {
            throw new IllegalArgumentException("stack deeper than " + MAX_OBJECTS);
        }
        stack.add(o);
    }

    private Object pop() {
        if (stack.isEmpty()) {
            throw new IllegalArgumentException("pop from an empty stack");
        }
        Object o = stack.remove(stack.size() - 1);
        if (o == MARK) {
            throw new IllegalArgumentException("unexpected MARK");
        }
        return o;
    }

    private Object peek() {
        if (stack.isEmpty() || stack.get(stack.size() - 1) == MARK) {
            throw new IllegalArgumentException("no object on the stack");
        }
        return stack.get(stack.size() - 1);
    }

    private List<Object> popN(int n) {
        List<Object> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(0, pop());
        }
        return out;
    }

    private List<Object> popMark() {
        int m = stack.lastIndexOf(MARK);
        if (m < 0) {
            throw new IllegalArgumentException("no MARK on the stack");
        }
        List<Object> items = new ArrayList<>(stack.subList(m + 1, stack.size()));
        stack.subList(m, stack.size()).clear();
        return items;
    }

    private void memoPut(int index) {
        if (index < 0) {
            throw new IllegalArgumentException("negative memo index");
        }
        if (!memo.containsKey(index) && memo.size() >= MAX_MEMO) {
            throw new IllegalArgumentException("memo holds more than " + MAX_MEMO + " entries");
        }
        memo.put(index, peek());
    }

    private Object memoGet(int index) {
        Object o = memo.get(index);
        if (o == null) {
            throw new IllegalArgumentException("memo index " + Integer.toUnsignedString(index) + " was never set");
        }
        return o;
    }

    private void putAll(Map<Object, Object> d, List<Object> kv) {
        if (kv.size() % 2 != 0) {
            throw new IllegalArgumentException("odd number of items for a dict");
        }
        for (int i = 0; i < kv.size(); i += 2) {
            d.put(key(kv.get(i)), kv.get(i + 1));
        }
    }

    /** Dict keys and set items must be scalars: hashing a container could recurse without bound. */
    private static Object key(Object k) {
        if (k instanceof String || k instanceof Long || k instanceof BigInteger || k instanceof Double
                || k instanceof Boolean || k == NONE) {
            return k;
        }
        throw new IllegalArgumentException("dict key or set item of type " + typeName(k)
                + " (only str, int, float, bool and None keys are read)");
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o) {
        if (o instanceof List<?>) {
            return (List<Object>) o;
        }
        throw new IllegalArgumentException("APPEND to " + typeName(o) + ", not a list");
    }

    @SuppressWarnings("unchecked")
    private static Map<Object, Object> dict(Object o) {
        if (o instanceof Map<?, ?>) {
            return (Map<Object, Object>) o;
        }
        throw new IllegalArgumentException("expected a dict, got " + typeName(o));
    }

    private static PickleTuple tuple(Object o, String what) {
        if (o instanceof PickleTuple t) {
            return t;
        }
        throw new IllegalArgumentException(what + " is " + typeName(o) + ", not a tuple");
    }

    private static long integer(Object o, String what) {
        if (o instanceof Long l) {
            return l;
        }
        throw new IllegalArgumentException(what + " is " + typeName(o) + ", not an int");
    }

    private static long[] longs(Object o, String what) {
        PickleTuple t = tuple(o, what);
        long[] out = new long[t.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = integer(t.get(i), what);
        }
        return out;
    }

    /** A short, content-free description of a value's type, for messages. */
    static String typeName(Object o) {
        if (o == NONE) {
            return "None";
        }
        if (o instanceof AllowedGlobal g) {
            return "'" + g.qualifiedName() + "'";
        }
        if (o instanceof PickledObject p) {
            return "'" + p.type().qualifiedName() + "' object";
        }
        if (o instanceof PickleTuple) {
            return "tuple";
        }
        if (o instanceof List<?>) {
            return "list";
        }
        if (o instanceof Map<?, ?>) {
            return "dict";
        }
        if (o instanceof String) {
            return "str";
        }
        if (o instanceof Long || o instanceof BigInteger) {
            return "int";
        }
        if (o instanceof Double) {
            return "float";
        }
        if (o instanceof byte[]) {
            return "bytes";
        }
        return o == null ? "null" : o.getClass().getSimpleName();
    }
}
