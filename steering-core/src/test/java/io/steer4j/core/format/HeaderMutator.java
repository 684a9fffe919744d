package io.steer4j.core.format;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;

/**
 * Mutates the first {@code headerBytes} of a file the way a crafted or corrupted file differs from a good one:
 * flipped bits, 4- and 8-byte fields set to extreme values (0, -1, 2^31-1, 2^63-1, a random size), inserted or
 * deleted bytes, truncation and a repeated span. Deterministic for a given {@link Random}.
 */
public final class HeaderMutator {
    private static final long[] EXTREMES = {0, 1, -1, 0x7fffffffL, 0xffffffffL, Long.MAX_VALUE, Long.MIN_VALUE,
        1L << 32, 1L << 40, 3_000_000_000L, 65_537, 1 << 20};

    private final Random random;

    public HeaderMutator(long seed) {
        this.random = new Random(seed);
    }

    /** One to four mutations of {@code good}, each at a position inside its first {@code headerBytes}. */
    public byte[] mutate(byte[] good, int headerBytes) {
        byte[] b = good.clone();
        int n = 1 + random.nextInt(4);
        for (int i = 0; i < n && b.length > 0; i++) {
            int at = random.nextInt(Math.max(1, Math.min(headerBytes, b.length)));
            switch (random.nextInt(7)) {
                case 0 -> b[at] ^= (byte) (1 << random.nextInt(8));
                case 1 -> b[at] = (byte) random.nextInt(256);
                case 2 -> b = putField(b, at, 8);
                case 3 -> b = putField(b, at, 4);
                case 4 -> b = insert(b, at);
                case 5 -> b = delete(b, at);
                default -> b = Arrays.copyOf(b, at + random.nextInt(Math.max(1, b.length - at)));
            }
        }
        return b;
    }

    private byte[] putField(byte[] b, int at, int width) {
        if (at + width > b.length) {
            return b;
        }
        long v = random.nextBoolean() ? EXTREMES[random.nextInt(EXTREMES.length)] : random.nextLong() >>> random.nextInt(64);
        ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        if (width == 8) {
            buf.putLong(at, v);
        } else {
            buf.putInt(at, (int) v);
        }
        return b;
    }

    private byte[] insert(byte[] b, int at) {
        int len = 1 + random.nextInt(16);
        byte[] out = new byte[b.length + len];
        System.arraycopy(b, 0, out, 0, at);
        for (int i = 0; i < len; i++) {
            out[at + i] = random.nextBoolean() ? (byte) random.nextInt(256) : b[(at + i) % b.length];
        }
        System.arraycopy(b, at, out, at + len, b.length - at);
        return out;
    }

    private byte[] delete(byte[] b, int at) {
        int len = Math.min(1 + random.nextInt(16), b.length - at);
        byte[] out = new byte[b.length - len];
        System.arraycopy(b, 0, out, 0, at);
        System.arraycopy(b, at + len, out, at, b.length - at - len);
        return out;
    }
}
