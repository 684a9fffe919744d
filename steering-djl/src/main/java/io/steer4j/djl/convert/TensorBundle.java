package io.steer4j.djl.convert;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * A TensorFlow checkpoint ("tensor bundle"): {@code PREFIX.index}, a LevelDB-format table mapping each variable
 * name to a {@code BundleEntryProto} (dtype, shape, shard, offset, size, masked CRC32C), and the data shards
 * {@code PREFIX.data-NNNNN-of-MMMMM} holding the raw little-endian arrays. The protobuf records are decoded by
 * hand: the few fields read here do not warrant a protobuf runtime on the classpath.
 *
 * <pre>{@code
 * TensorBundle b = TensorBundle.open(Path.of("uncased_L-12_H-768_A-12/bert_model.ckpt"));
 * float[] bias = b.readFloats("bert/pooler/dense/bias");
 * }</pre>
 */
public final class TensorBundle {
    /** {@code DT_FLOAT} of TensorFlow's {@code DataType} enum. */
    static final int DT_FLOAT = 1;

    /**
     * One variable of the bundle.
     *
     * @param name   the variable name ({@code bert/encoder/layer_0/attention/self/query/kernel})
     * @param dtype  TensorFlow's {@code DataType} number (1 is float32)
     * @param shape  dimensions
     * @param shard  data file index
     * @param offset byte offset in that file
     * @param size   byte length
     * @param crc32c the masked CRC32C of the bytes, as TensorFlow stores it
     */
    public record Entry(String name, int dtype, long[] shape, int shard, long offset, long size, int crc32c) {
        /** Number of elements. */
        public long elements() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }
    }

    private final Path prefix;
    private final Map<String, Entry> entries;
    private final int shards;

    private TensorBundle(Path prefix, Map<String, Entry> entries, int shards) {
        this.prefix = prefix;
        this.entries = entries;
        this.shards = shards;
    }

    /**
     * Opens the checkpoint with this prefix ({@code PREFIX.index} must exist).
     *
     * @throws CheckpointFormatException naming the file and position when the index is corrupt, big-endian,
     *                                   partitioned or names data files that are missing
     */
    public static TensorBundle open(Path prefix) throws IOException {
        Path index = Path.of(prefix + ".index");
        if (!Files.isRegularFile(index)) {
            throw new CheckpointFormatException(index + " does not exist (not a TensorFlow checkpoint prefix)");
        }
        Map<String, byte[]> table = LevelDbTable.read(Files.readAllBytes(index), index);
        byte[] header = table.remove("");
        int shards = 1;
        if (header != null) {
            Proto h = new Proto(header, index, "the bundle header");
            Map<Integer, Long> f = h.scalars();
            shards = (int) (long) f.getOrDefault(1, 1L);
            if (f.getOrDefault(2, 0L) != 0) {
                throw new CheckpointFormatException(index + ": the bundle header says big-endian data; only "
                        + "little-endian checkpoints are supported");
            }
        }
        Map<String, Entry> entries = new LinkedHashMap<>();
        for (Map.Entry<String, byte[]> e : table.entrySet()) {
            entries.put(e.getKey(), parseEntry(e.getKey(), e.getValue(), index, shards));
        }
        for (int s = 0; s < shards; s++) {
            Path data = dataFile(prefix, s, shards);
            if (!Files.isRegularFile(data)) {
                throw new CheckpointFormatException(index + " names data file " + data.getFileName()
                        + ", which is missing");
            }
        }
        return new TensorBundle(prefix, Collections.unmodifiableMap(entries), shards);
    }

    private static Entry parseEntry(String name, byte[] value, Path index, int shards) {
        Proto p = new Proto(value, index, "the entry of '" + name + "'");
        Map<Integer, Long> f = p.scalars();
        if (p.has(7)) {
            throw new CheckpointFormatException(index + ": variable '" + name + "' is partitioned into slices, "
                    + "which is not supported");
        }
        List<Long> dims = new ArrayList<>();
        byte[] shape = p.bytes(2);
        if (shape != null) {
            Proto s = new Proto(shape, index, "the shape of '" + name + "'");
            for (byte[] dim : s.allBytes(2)) {
                dims.add(new Proto(dim, index, "a dimension of '" + name + "'").scalars().getOrDefault(1, 0L));
            }
        }
        int shard = (int) (long) f.getOrDefault(3, 0L);
        if (shard < 0 || shard >= shards) {
            throw new CheckpointFormatException(index + ": variable '" + name + "' is in shard " + shard + " of "
                    + shards);
        }
        return new Entry(name, (int) (long) f.getOrDefault(1, 0L), dims.stream().mapToLong(Long::longValue).toArray(),
                shard, f.getOrDefault(4, 0L), f.getOrDefault(5, 0L), (int) (long) f.getOrDefault(6, 0L));
    }

    private static Path dataFile(Path prefix, int shard, int shards) {
        return Path.of(prefix + String.format(".data-%05d-of-%05d", shard, shards));
    }

    /** The checkpoint prefix. */
    public Path prefix() {
        return prefix;
    }

    /** Every variable, by name, in the index's (sorted) order. */
    public Map<String, Entry> entries() {
        return entries;
    }

    /**
     * A float32 variable's values, checked against its CRC32C.
     *
     * @throws CheckpointFormatException when it is missing, not float32, its bytes lie outside the data file, or
     *                                   its checksum does not match
     */
    public float[] readFloats(String name) throws IOException {
        Entry e = entries.get(name);
        if (e == null) {
            throw new CheckpointFormatException(prefix + ".index has no variable '" + name + "'");
        }
        if (e.dtype() != DT_FLOAT) {
            throw new CheckpointFormatException(prefix + ".index: variable '" + name + "' has TensorFlow dtype "
                    + e.dtype() + ", not float32 (1)");
        }
        if (e.size() != 4 * e.elements() || e.size() > Integer.MAX_VALUE) {
            throw new CheckpointFormatException(prefix + ".index: variable '" + name + "' is " + e.size()
                    + " bytes for " + e.elements() + " float32 elements");
        }
        Path data = dataFile(prefix, e.shard(), shards);
        ByteBuffer buf = ByteBuffer.allocate((int) e.size());
        try (FileChannel ch = FileChannel.open(data, StandardOpenOption.READ)) {
            if (e.offset() < 0 || e.offset() + e.size() > ch.size()) {
                throw new CheckpointFormatException(data + " (offset " + e.offset() + "): variable '" + name
                        + "' runs past the end of the file (" + ch.size() + " bytes)");
            }
            while (buf.hasRemaining()) {
                if (ch.read(buf, e.offset() + buf.position()) < 0) {
                    throw new CheckpointFormatException(data + ": unexpected end of file reading '" + name + "'");
                }
            }
        }
        CRC32C crc = new CRC32C();
        crc.update(buf.array());
        int masked = mask((int) crc.getValue());
        if (masked != e.crc32c()) {
            throw new CheckpointFormatException(data + " (offset " + e.offset() + "): variable '" + name
                    + "' fails its CRC32C check (corrupt data file)");
        }
        float[] out = new float[(int) e.elements()];
        buf.rewind();
        buf.order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }

    /** LevelDB's CRC mask, which TensorFlow applies to stored checksums. */
    private static int mask(int crc) {
        return ((crc >>> 15) | (crc << 17)) + 0xa282ead8;
    }

    /** The fields of one protobuf message, decoded just far enough for the bundle's records. */
    private static final class Proto {
        private final Map<Integer, Long> scalars = new LinkedHashMap<>();
        private final Map<Integer, List<byte[]>> bytes = new LinkedHashMap<>();

        Proto(byte[] b, Path file, String what) {
            int[] p = {0};
            while (p[0] < b.length) {
                long tag = varint(b, p, file, what);
                int field = (int) (tag >>> 3);
                int wire = (int) (tag & 7);
                switch (wire) {
                    case 0 -> scalars.put(field, varint(b, p, file, what));
                    case 1 -> {
                        need(b, p, 8, file, what);
                        scalars.put(field, ByteBuffer.wrap(b, p[0], 8).order(ByteOrder.LITTLE_ENDIAN).getLong());
                        p[0] += 8;
                    }
                    case 5 -> {
                        need(b, p, 4, file, what);
                        scalars.put(field, (long) ByteBuffer.wrap(b, p[0], 4).order(ByteOrder.LITTLE_ENDIAN)
                                .getInt());
                        p[0] += 4;
                    }
                    case 2 -> {
                        long len = varint(b, p, file, what);
                        if (len < 0 || len > b.length - p[0]) {
                            throw new CheckpointFormatException(file + ": " + what + " has a field running past its"
                                    + " record");
                        }
                        bytes.computeIfAbsent(field, k -> new ArrayList<>())
                                .add(java.util.Arrays.copyOfRange(b, p[0], p[0] + (int) len));
                        p[0] += (int) len;
                    }
                    default -> throw new CheckpointFormatException(file + ": " + what
                            + " is not a valid protobuf record (wire type " + wire + ")");
                }
            }
        }

        Map<Integer, Long> scalars() {
            return scalars;
        }

        boolean has(int field) {
            return scalars.containsKey(field) || bytes.containsKey(field);
        }

        byte[] bytes(int field) {
            List<byte[]> l = bytes.get(field);
            return l == null ? null : l.get(0);
        }

        List<byte[]> allBytes(int field) {
            return bytes.getOrDefault(field, List.of());
        }

        private static void need(byte[] b, int[] p, int n, Path file, String what) {
            if (p[0] + n > b.length) {
                throw new CheckpointFormatException(file + ": " + what + " ends inside a field");
            }
        }

        private static long varint(byte[] b, int[] p, Path file, String what) {
            long r = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                if (p[0] >= b.length) {
                    throw new CheckpointFormatException(file + ": " + what + " ends inside a varint");
                }
                int c = b[p[0]++] & 0xff;
                r |= (long) (c & 0x7f) << shift;
                if (c < 0x80) {
                    return r;
                }
            }
            throw new CheckpointFormatException(file + ": " + what + " has an overlong varint");
        }
    }
}
