package io.steer4j.djl.convert;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads every entry of a LevelDB-format table ("SSTable"), the format of TensorFlow's {@code .index} files: data
 * blocks of prefix-compressed key/value entries with a restart array, an index block pointing at them, and a
 * 48-byte footer ending in the table magic. Each block is followed by a 5-byte trailer whose first byte is the
 * compression type; TensorFlow writes its bundles uncompressed, and a compressed block is refused by name.
 */
final class LevelDbTable {
    /** {@code kTableMagicNumber}, little-endian in the last 8 bytes. */
    private static final long MAGIC = 0xdb4775248b80fb57L;
    private static final int FOOTER = 48;
    private static final int TRAILER = 5;

    private final byte[] data;
    private final Path file;

    private LevelDbTable(byte[] data, Path file) {
        this.data = data;
        this.file = file;
    }

    /**
     * The table's entries in key order (keys as UTF-8 strings, values raw).
     *
     * @throws CheckpointFormatException naming the file and the offset of the first inconsistency
     */
    static Map<String, byte[]> read(byte[] data, Path file) {
        return new LevelDbTable(data, file).entries();
    }

    private Map<String, byte[]> entries() {
        if (data.length < FOOTER) {
            throw bad(0, "is " + data.length + " bytes long, shorter than a table footer (48 bytes)");
        }
        long magic = ByteBuffer.wrap(data, data.length - 8, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (magic != MAGIC) {
            throw bad(data.length - 8, "does not end in the LevelDB table magic number (not a TensorFlow .index)");
        }
        int[] pos = {data.length - FOOTER};
        readVarint(pos); // metaindex handle: unused
        readVarint(pos);
        long indexOffset = readVarint(pos);
        long indexSize = readVarint(pos);
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (byte[][] kv : block(indexOffset, indexSize)) {
            int[] p = {0};
            long offset = varint(kv[1], p, indexOffset);
            long size = varint(kv[1], p, indexOffset);
            for (byte[][] e : block(offset, size)) {
                out.put(new String(e[0], StandardCharsets.UTF_8), e[1]);
            }
        }
        return out;
    }

    /** The entries of the block at {@code offset} of {@code size} bytes (trailer excluded). */
    private List<byte[][]> block(long offset, long size) {
        if (offset < 0 || size < 4 || offset + size + TRAILER > data.length) {
            throw bad(offset, "names a block of " + size + " bytes outside the file");
        }
        int start = (int) offset;
        int end = (int) (offset + size);
        int compression = data[end] & 0xff;
        if (compression != 0) {
            throw bad(end, "has a block compressed with type " + compression
                    + " (1 is Snappy); only uncompressed tables (as TensorFlow writes them) are supported");
        }
        int restarts = ByteBuffer.wrap(data, end - 4, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        long restartBytes = 4L * restarts + 4;
        if (restarts < 0 || restartBytes > size) {
            throw bad(end - 4, "has a block with an impossible restart count " + restarts);
        }
        int limit = (int) (end - restartBytes);
        List<byte[][]> out = new ArrayList<>();
        byte[] key = new byte[0];
        int[] p = {start};
        while (p[0] < limit) {
            int at = p[0];
            long shared = readVarint(p);
            long unshared = readVarint(p);
            long valueLength = readVarint(p);
            if (shared > key.length || p[0] + unshared + valueLength > limit) {
                throw bad(at, "has an entry whose lengths run past its block");
            }
            byte[] next = Arrays.copyOf(key, (int) (shared + unshared));
            System.arraycopy(data, p[0], next, (int) shared, (int) unshared);
            p[0] += (int) unshared;
            byte[] value = Arrays.copyOfRange(data, p[0], p[0] + (int) valueLength);
            p[0] += (int) valueLength;
            key = next;
            out.add(new byte[][] {key, value});
        }
        return out;
    }

    private long readVarint(int[] pos) {
        return varint(data, pos, pos[0]);
    }

    private long varint(byte[] b, int[] pos, long reportAt) {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos[0] >= b.length) {
                throw bad(reportAt, "ends inside a varint");
            }
            int c = b[pos[0]++] & 0xff;
            result |= (long) (c & 0x7f) << shift;
            if (c < 0x80) {
                return result;
            }
        }
        throw bad(reportAt, "has a varint longer than 10 bytes");
    }

    private CheckpointFormatException bad(long offset, String what) {
        return new CheckpointFormatException(file + " (offset " + offset + ") " + what);
    }
}
