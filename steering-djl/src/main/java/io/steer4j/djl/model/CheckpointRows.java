package io.steer4j.djl.model;

import io.steer4j.core.format.safetensors.FloatDecoding;
import io.steer4j.core.format.safetensors.SafetensorsDtype;
import io.steer4j.core.format.safetensors.SafetensorsTensorInfo;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * Reads the arrays a {@link TensorRecipe} describes into Java arrays straight from the checkpoint's files, a chunk
 * of rows at a time with positional reads: what the Java CPU engine's copy of a 16-bit checkpoint is built from,
 * so that neither libtorch nor a mapping of the file holds the weights a second time.
 *
 * <p>{@link #packedRows} keeps a 16-bit tensor's values as the file stores them (two to an int, the layout of
 * {@link io.steer4j.djl.engine.cpu.Bfloat16Matrix} and {@link io.steer4j.djl.engine.cpu.Float16Matrix});
 * {@link #floatRows} and {@link #floats} widen F32, F16 and BF16 exactly, as {@link WeightStore} does for libtorch.
 */
final class CheckpointRows implements AutoCloseable {
    /** Bytes read per chunk: loading makes no garbage the size of a tensor. */
    private static final int CHUNK_BYTES = 1 << 20;
    /** Columns per tile of a transposing read. */
    private static final int TILE = 64;

    private final Map<Path, FileChannel> channels = new HashMap<>();
    /** Direct, so that a read lands in it without the JDK's copy through a temporary direct buffer. */
    private final ByteBuffer chunk = ByteBuffer.allocateDirect(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);

    /** The values of a 1-D or 2-D recipe (null for null), widened to float32, row-major. */
    float[] floats(TensorRecipe r) {
        if (r == null) {
            return null;
        }
        long[] shape = r.shape();
        if (shape.length == 1) {
            return vector(r);
        }
        float[][] rows = floatRows(r);
        int cols = (int) shape[1];
        float[] out = new float[Math.multiplyExact(rows.length, cols)];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, out, i * cols, cols);
        }
        return out;
    }

    /** The rows of a 2-D recipe widened to float32. */
    float[][] floatRows(TensorRecipe r) {
        return rows(r, this::storedFloatRows, float[][]::new);
    }

    /**
     * The rows of a 2-D recipe whose stored tensors are all BF16 or all F16, with an even number of columns, as
     * pairs packed to ints (value {@code 2k} in the low half of int {@code k}).
     */
    int[][] packedRows(TensorRecipe r) {
        return rows(r, this::storedPackedRows, int[][]::new);
    }

    /** How a stored tensor is read as rows (transposed: the rows of its transpose). */
    private interface StoredRows<R> {
        R[] read(TensorRecipe.Stored s, boolean transposed) throws IOException;
    }

    private <R> R[] rows(TensorRecipe r, StoredRows<R> stored, IntFunction<R[]> newArray) {
        if (r.shape().length != 2) {
            throw new IllegalArgumentException("rows of a tensor of shape " + java.util.Arrays.toString(r.shape()));
        }
        if (r instanceof TensorRecipe.Stored s) {
            return read(s, stored, false);
        }
        if (r instanceof TensorRecipe.Transposed t) {
            return read(t.of(), stored, true);
        }
        if (r instanceof TensorRecipe.Concat c) {
            R[] out = newArray.apply((int) r.shape()[0]);
            int at = 0;
            for (TensorRecipe p : c.parts()) {
                R[] part = rows(p, stored, newArray);
                System.arraycopy(part, 0, out, at, part.length);
                at += part.length;
            }
            return out;
        }
        TensorRecipe.RegroupedPerHead g = (TensorRecipe.RegroupedPerHead) r;
        R[] fused = rows(g.fused(), stored, newArray);
        R[] out = newArray.apply(fused.length);
        for (int i = 0; i < out.length; i++) {
            out[i] = fused[(int) g.sourceRow(i)];
        }
        return out;
    }

    private <R> R[] read(TensorRecipe.Stored s, StoredRows<R> stored, boolean transposed) {
        try {
            return stored.read(s, transposed);
        } catch (IOException e) {
            throw new ModelLoadException("cannot read weight '" + s.info().name() + "' from " + s.file() + ": "
                    + e.getMessage(), e);
        }
    }

    /** A 1-D recipe's values. */
    private float[] vector(TensorRecipe r) {
        if (r instanceof TensorRecipe.Stored s) {
            float[][] one = read(s, this::storedFloatRows, false);
            return one[0];
        }
        if (r instanceof TensorRecipe.Concat c) {
            float[] out = new float[(int) r.shape()[0]];
            int at = 0;
            for (TensorRecipe p : c.parts()) {
                float[] part = vector(p);
                System.arraycopy(part, 0, out, at, part.length);
                at += part.length;
            }
            return out;
        }
        if (r instanceof TensorRecipe.RegroupedPerHead g) {
            float[] fused = vector(g.fused());
            float[] out = new float[fused.length];
            for (int i = 0; i < out.length; i++) {
                out[i] = fused[(int) g.sourceRow(i)];
            }
            return out;
        }
        throw new IllegalArgumentException("a 1-D tensor cannot be " + r);
    }

    /** A stored tensor as float rows of its last axis (a 1-D tensor is one row); see {@link StoredRows}. */
    private float[][] storedFloatRows(TensorRecipe.Stored s, boolean transposed) throws IOException {
        SafetensorsTensorInfo t = s.info();
        int rows = rows(t);
        int cols = cols(t);
        SafetensorsDtype dtype = t.dtype();
        float[][] out = transposed ? new float[cols][rows] : new float[rows][cols];
        float[] widened = new float[chunkRows(t) * cols];
        forEachChunk(s, (r0, k, buf) -> {
            for (int i = 0; i < k * cols; i++) {
                widened[i] = switch (dtype) {
                    case F32 -> buf.getFloat(4 * i);
                    case F16 -> FloatDecoding.halfToFloat(buf.getShort(2 * i));
                    case BF16 -> Float.intBitsToFloat((buf.getShort(2 * i) & 0xFFFF) << 16);
                    default -> throw new ModelLoadException("weight '" + t.name() + "' has dtype " + dtype
                            + "; expected F32, F16 or BF16");
                };
            }
            if (!transposed) {
                for (int j = 0; j < k; j++) {
                    System.arraycopy(widened, j * cols, out[r0 + j], 0, cols);
                }
                return;
            }
            for (int c = 0; c < cols; c++) {
                float[] o = out[c];
                for (int j = 0; j < k; j++) {
                    o[r0 + j] = widened[j * cols + c];
                }
            }
        });
        return out;
    }

    /** A 16-bit 2-D stored tensor as packed rows; see {@link #packedRows}. */
    private int[][] storedPackedRows(TensorRecipe.Stored s, boolean transposed) throws IOException {
        SafetensorsTensorInfo t = s.info();
        if (t.dtype() != SafetensorsDtype.BF16 && t.dtype() != SafetensorsDtype.F16) {
            throw new IllegalArgumentException("weight '" + t.name() + "' is " + t.dtype() + ", not 16-bit");
        }
        int rows = rows(t);
        int cols = cols(t);
        int width = transposed ? rows : cols;
        if (width % 2 != 0) {
            throw new IllegalArgumentException("weight '" + t.name() + "': rows of odd length " + width);
        }
        int[][] out = transposed ? new int[cols][rows / 2] : new int[rows][cols / 2];
        short[] values = new short[chunkRows(t) * cols];
        forEachChunk(s, (r0, k, buf) -> {
            if (!transposed) {
                for (int j = 0; j < k; j++) {
                    buf.position(j * 2 * cols);
                    buf.asIntBuffer().get(out[r0 + j], 0, cols / 2);
                }
                return;
            }
            buf.asShortBuffer().get(values, 0, k * cols);
            // r0 and k are even (chunkRows is), so each stored pair of rows j, j + 1 is one int of every output
            // row; in tiles of TILE columns, so that both the pair's reads and the tile's output rows stay in cache
            for (int c0 = 0; c0 < cols; c0 += TILE) {
                int c1 = Math.min(cols, c0 + TILE);
                for (int j = 0; j < k; j += 2) {
                    int lo = j * cols;
                    int hi = lo + cols;
                    int at = (r0 + j) >> 1;
                    for (int c = c0; c < c1; c++) {
                        out[c][at] = (values[lo + c] & 0xFFFF) | (values[hi + c] << 16);
                    }
                }
            }
        });
        return out;
    }

    private interface Chunk {
        /** Rows {@code r0 .. r0 + k - 1} of the tensor, their bytes from position 0 of {@code buf}. */
        void accept(int r0, int k, ByteBuffer buf) throws IOException;
    }

    /** Reads the stored tensor a chunk of {@link #chunkRows} rows at a time. */
    private void forEachChunk(TensorRecipe.Stored s, Chunk each) throws IOException {
        SafetensorsTensorInfo t = s.info();
        int rows = rows(t);
        int rowBytes = cols(t) * t.dtype().byteSize();
        int perChunk = chunkRows(t);
        ByteBuffer buf = perChunk * rowBytes <= CHUNK_BYTES ? chunk
                : ByteBuffer.allocate(perChunk * rowBytes).order(ByteOrder.LITTLE_ENDIAN);
        FileChannel ch = channel(s.file());
        for (int r0 = 0; r0 < rows; r0 += perChunk) {
            int k = Math.min(perChunk, rows - r0);
            buf.clear().limit(k * rowBytes);
            long pos = t.dataOffset() + (long) r0 * rowBytes;
            while (buf.hasRemaining()) {
                if (ch.read(buf, pos + buf.position()) < 0) {
                    throw new ModelLoadException("weight '" + t.name() + "' ends past the end of " + s.file());
                }
            }
            buf.position(0);
            each.accept(r0, k, buf);
        }
    }

    /** Rows per chunk: as many as fill {@link #CHUNK_BYTES}, an even number, at least 2. */
    private static int chunkRows(SafetensorsTensorInfo t) {
        int rowBytes = Math.max(1, cols(t) * t.dtype().byteSize());
        return Math.max(2, CHUNK_BYTES / rowBytes & ~1);
    }

    private static int cols(SafetensorsTensorInfo t) {
        long[] shape = t.shape();
        return shape.length == 0 ? 1 : (int) shape[shape.length - 1];
    }

    private static int rows(SafetensorsTensorInfo t) {
        long n = t.elementCount();
        if (n > Integer.MAX_VALUE - 16) {
            throw new ModelLoadException("weight '" + t.name() + "' has " + n + " elements, more than a Java array");
        }
        return (int) (n / Math.max(cols(t), 1));
    }

    private FileChannel channel(Path file) throws IOException {
        FileChannel ch = channels.get(file);
        if (ch == null) {
            ch = FileChannel.open(file, StandardOpenOption.READ);
            channels.put(file, ch);
        }
        return ch;
    }

    @Override
    public void close() {
        for (FileChannel ch : channels.values()) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // closing a read-only channel cannot lose data
            }
        }
        channels.clear();
    }
}
