package io.steer4j.core.format.safetensors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafetensorsHeaderTest {
    @TempDir
    Path tmp;

    /** A file written by hand from the format's specification, independent of the writer. */
    private Path handWritten(String headerJson, byte[] data) throws IOException {
        byte[] h = headerJson.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        Path p = tmp.resolve("hand.safetensors");
        Files.write(p, b.array());
        return p;
    }

    private static byte[] floatsLe(float... v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            b.putFloat(f);
        }
        return b.array();
    }

    @Test
    void readsAHandWrittenFileWithMetadataAndAbsoluteOffsets() throws IOException {
        String json = "{\"__metadata__\":{\"format\":\"pt\"},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}";
        Path p = handWritten(json, floatsLe(1.5f, -2f, 7f));
        SafetensorsHeader h = SafetensorsHeader.read(p);
        assertEquals("pt", h.metadata().get("format"));
        SafetensorsTensorInfo b = h.tensor("b").orElseThrow();
        assertEquals(8 + json.length() + 8, b.dataOffset());
        try (FileChannel ch = FileChannel.open(p)) {
            assertArrayEquals(new float[] {1.5f, -2f}, h.readFloats(ch, h.tensor("a").orElseThrow(), p));
            assertArrayEquals(new float[] {7f}, h.readFloats(ch, b, p));
        }
    }

    @Test
    void writerOutputReadsBackBitIdentical() throws IOException {
        float[] v = {Float.MIN_VALUE, -0f, 3.25f, Float.MAX_VALUE};
        Path p = tmp.resolve("w.safetensors");
        new SafetensorsWriter().metadata("k", "v").addF32("x", new long[] {2, 2}, v).writeAtomically(p);
        SafetensorsHeader h = SafetensorsHeader.read(p);
        assertArrayEquals(new long[] {2, 2}, h.tensor("x").orElseThrow().shape());
        try (FileChannel ch = FileChannel.open(p)) {
            float[] back = h.readFloats(ch, h.tensor("x").orElseThrow(), p);
            for (int i = 0; i < v.length; i++) {
                assertEquals(Float.floatToRawIntBits(v[i]), Float.floatToRawIntBits(back[i]));
            }
        }
        assertEquals(0, (8 + h.dataStart() - 8) % 8, "data section is 8-byte aligned");
    }

    @Test
    void halfPrecisionValuesWidenExactly() {
        assertEquals(1.0f, FloatDecoding.halfToFloat((short) 0x3C00));
        assertEquals(-2.0f, FloatDecoding.halfToFloat((short) 0xC000));
        assertEquals(65504f, FloatDecoding.halfToFloat((short) 0x7BFF));
        assertEquals((float) Math.pow(2, -24), FloatDecoding.halfToFloat((short) 0x0001));
        assertTrue(Float.isInfinite(FloatDecoding.halfToFloat((short) 0x7C00)));
        assertTrue(Float.isNaN(FloatDecoding.halfToFloat((short) 0x7E00)));
    }

    @Test
    void aHeaderLengthBeyondTheFileIsRefusedWithoutAllocatingIt() throws IOException {
        Path p = tmp.resolve("lie.safetensors");
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(Long.MAX_VALUE / 2).putLong(0);
        Files.write(p, b.array());
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> SafetensorsHeader.read(p));
        assertTrue(e.getMessage().contains("lie.safetensors") && e.getMessage().contains("header length"), e.getMessage());
    }

    @Test
    void offsetsBeyondTheDataSectionAreRefusedAsTruncation() throws IOException {
        Path p = handWritten("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", floatsLe(1f));
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> SafetensorsHeader.read(p));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void aShapeThatDisagreesWithTheByteCountIsRefused() throws IOException {
        Path p = handWritten("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", floatsLe(1f, 2f));
        assertTrue(assertThrows(SafetensorsFormatException.class, () -> SafetensorsHeader.read(p)).getMessage()
                .contains("needs 12"));
    }

    @Test
    void overlappingTensorsAreRefused() throws IOException {
        Path p = handWritten("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", floatsLe(1f, 2f));
        assertTrue(assertThrows(SafetensorsFormatException.class, () -> SafetensorsHeader.read(p)).getMessage()
                .contains("overlap"));
    }

    @Test
    void anUnknownDtypeIsNamed() throws IOException {
        Path p = handWritten("{\"a\":{\"dtype\":\"Q4\",\"shape\":[1],\"data_offsets\":[0,1]}}", new byte[1]);
        assertTrue(assertThrows(SafetensorsFormatException.class, () -> SafetensorsHeader.read(p)).getMessage()
                .contains("Q4"));
    }

    @Test
    void randomMutationsAndTruncationsOnlyEverRaiseTheFormatException() throws IOException {
        Path good = tmp.resolve("good.safetensors");
        float[] v = new float[64];
        for (int i = 0; i < v.length; i++) {
            v[i] = i * 0.5f;
        }
        new SafetensorsWriter().metadata("model_id", "x").addF32("direction.1", new long[] {64}, v)
                .addF32("direction.2", new long[] {8, 8}, v).writeAtomically(good);
        byte[] bytes = Files.readAllBytes(good);
        Random r = new Random(99);
        Path f = tmp.resolve("fuzz.safetensors");
        for (int iter = 0; iter < 2000; iter++) {
            byte[] m = bytes.clone();
            int kind = r.nextInt(3);
            if (kind == 0) {
                m = java.util.Arrays.copyOf(m, r.nextInt(m.length));
            } else {
                int flips = 1 + r.nextInt(8);
                for (int k = 0; k < flips; k++) {
                    int at = kind == 1 ? r.nextInt(Math.min(m.length, 200)) : r.nextInt(m.length);
                    m[at] = (byte) r.nextInt(256);
                }
            }
            Files.write(f, m);
            try (FileChannel ch = FileChannel.open(f)) {
                SafetensorsHeader h = SafetensorsHeader.read(ch, f);
                for (SafetensorsTensorInfo t : h.tensors()) {
                    if (t.dtype() == SafetensorsDtype.F32 || t.dtype() == SafetensorsDtype.F16
                            || t.dtype() == SafetensorsDtype.BF16 || t.dtype() == SafetensorsDtype.F64) {
                        h.readFloats(ch, t, f);
                    }
                }
            } catch (SafetensorsFormatException expected) {
                // the only failure a corrupt file may produce
            }
        }
    }
}
