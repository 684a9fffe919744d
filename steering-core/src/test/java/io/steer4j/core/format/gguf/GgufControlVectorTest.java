package io.steer4j.core.format.gguf;

import io.steer4j.core.format.VectorFileFormatException;
import io.steer4j.core.plan.HookPoint;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.core.vector.VectorMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class GgufControlVectorTest {
    private static final int F32 = 0;
    private static final int F16 = 1;

    @TempDir
    Path dir;

    private Path file(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    /** A repeng-style control vector: layers 1 and 2, hidden 3, written per the documented layout. */
    private static byte[] handBuilt() {
        GgufBytes b = new GgufBytes()
                .header(3, 2, 3)
                .kvString("general.architecture", "controlvector")
                .kvString("controlvector.model_hint", "llama")
                .kvU32("controlvector.layer_count", 2)
                .tensorInfo("direction.1", F32, 0, 3)
                .tensorInfo("direction.2", F32, 32, 3)
                .padTo(32);
        b.f32(1, 2, 3).padTo(32);
        b.f32(-1, 0.5f, 4).padTo(32);
        return b.bytes();
    }

    private static SteeringVector vector(Map<Integer, float[]> dirs, String modelId) {
        int hidden = dirs.values().iterator().next().length;
        return new SteeringVector(dirs, VectorMetadata.builder().modelId(modelId).hiddenSize(hidden).build());
    }

    private VectorFileFormatException corrupt(byte[] bytes) throws IOException {
        Path p = file("bad.gguf", bytes);
        VectorFileFormatException e = assertThrows(VectorFileFormatException.class, () -> GgufControlVector.read(p));
        assertTrue(e.getMessage().contains("bad.gguf"), e.getMessage());
        return e;
    }

    private void assertProblem(byte[] bytes, String fragment) throws IOException {
        String message = corrupt(bytes).getMessage();
        assertTrue(message.contains(fragment), message);
    }

    @Test
    void readsAHandBuiltControlVector() throws IOException {
        SteeringVector v = GgufControlVector.read(file("cv.gguf", handBuilt()));
        assertEquals(List.of(1, 2), List.copyOf(v.layers()));
        assertArrayEquals(new float[] {1, 2, 3}, v.direction(1));
        assertArrayEquals(new float[] {-1, 0.5f, 4}, v.direction(2));
        assertEquals("llama", v.metadata().modelId());
        assertEquals(3, v.hiddenSize());
        assertEquals(HookPoint.RESID_POST.id(), v.metadata().hookPoint());
        assertNull(v.metadata().createdAt());
    }

    @Test
    void honoursGeneralAlignment() throws IOException {
        GgufBytes b = new GgufBytes().header(3, 2, 2)
                .kvString("general.architecture", "controlvector")
                .kvU32("general.alignment", 64)
                .tensorInfo("direction.3", F32, 0, 2)
                .tensorInfo("direction.4", F32, 64, 2)
                .padTo(64);
        b.f32(7, 8).padTo(64).f32(9, 10);
        SteeringVector v = GgufControlVector.read(file("a.gguf", b.bytes()));
        assertArrayEquals(new float[] {7, 8}, v.direction(3));
        assertArrayEquals(new float[] {9, 10}, v.direction(4));
    }

    @Test
    void widensF16Tensors() throws IOException {
        // 0x3C00 = 1.0, 0xC000 = -2.0, 0x3555 = 1.0100110101b × 2^-2 = 0.333251953125, 0x0001 = 2^-24
        GgufBytes b = new GgufBytes().header(3, 1, 0).tensorInfo("direction.5", F16, 0, 4).padTo(32);
        b.u16(0x3C00).u16(0xC000).u16(0x3555).u16(0x0001);
        SteeringVector v = GgufControlVector.read(file("h.gguf", b.bytes()));
        assertArrayEquals(new float[] {1f, -2f, 0.333251953125f, 0x1p-24f}, v.direction(5));
    }

    @Test
    void acceptsLayerCountWrittenAsInt32AsLlamaCppDoes() throws IOException {
        GgufBytes b = new GgufBytes().header(3, 1, 1).kvI32("controlvector.layer_count", 1)
                .tensorInfo("direction.1", F32, 0, 2).padTo(32).f32(1, 2);
        assertArrayEquals(new float[] {1, 2}, GgufControlVector.read(file("i.gguf", b.bytes())).direction(1));
    }

    @Test
    void writerProducesTheRepengLayoutByteForByte() throws IOException {
        Map<Integer, float[]> dirs = new TreeMap<>(Map.of(1, new float[] {1, 2, 3}, 2, new float[] {-1, 0.5f, 4}));
        Path p = dir.resolve("w.gguf");
        GgufControlVector.write(vector(dirs, "llama"), p);
        assertArrayEquals(handBuilt(), Files.readAllBytes(p));
    }

    @Test
    void roundTripKeepsFloatsBitIdentical() throws IOException {
        float[] tricky = {-0.0f, Float.MIN_VALUE, Float.MAX_VALUE, 1e-38f, (float) Math.PI, -123456.789f};
        Map<Integer, float[]> dirs = new TreeMap<>();
        for (int layer = 1; layer <= 5; layer++) {
            float[] d = tricky.clone();
            d[0] += layer;
            dirs.put(layer, d);
        }
        SteeringVector original = vector(dirs, "gpt2");
        Path p = dir.resolve("rt.gguf");
        GgufControlVector.write(original, p);
        SteeringVector back = GgufControlVector.read(p);
        assertEquals(original.layers(), back.layers());
        for (int layer : original.layers()) {
            float[] a = original.direction(layer);
            float[] b = back.direction(layer);
            for (int i = 0; i < a.length; i++) {
                assertEquals(Float.floatToRawIntBits(a[i]), Float.floatToRawIntBits(b[i]), "layer " + layer + "[" + i + "]");
            }
        }
        assertEquals("gpt2", back.metadata().modelId());
    }

    @Test
    void layerZeroCannotBeWritten() {
        SteeringVector v = vector(Map.of(0, new float[] {1}, 1, new float[] {2}), "m");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GgufControlVector.write(v, dir.resolve("z.gguf")));
        assertTrue(e.getMessage().contains("layer 0") && e.getMessage().contains("llama.cpp"), e.getMessage());
        assertTrue(Files.notExists(dir.resolve("z.gguf")));
    }

    @Test
    void onlyResidPostVectorsCanBeWritten() {
        SteeringVector v = new SteeringVector(Map.of(1, new float[] {1}),
                VectorMetadata.builder().hiddenSize(1).hookPoint(HookPoint.MLP_OUT).build());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GgufControlVector.write(v, dir.resolve("m.gguf")));
        assertTrue(e.getMessage().contains("mlp_out"), e.getMessage());
    }

    @Test
    void writeReplacesAnExistingFileAndLeavesNoTemporaryFiles() throws IOException {
        Path p = file("cv.gguf", new byte[] {1, 2, 3});
        GgufControlVector.write(vector(Map.of(1, new float[] {4}), "m"), p);
        assertArrayEquals(new float[] {4}, GgufControlVector.read(p).direction(1));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(p), files.toList());
        }
    }

    @Test
    void badMagicIsReported() throws IOException {
        byte[] b = handBuilt();
        b[0] = 'X';
        assertProblem(b, "magic");
    }

    @Test
    void unsupportedVersionIsReported() throws IOException {
        byte[] b = new GgufBytes().header(4, 0, 0).bytes();
        assertProblem(b, "version 4");
    }

    @Test
    void lyingTensorCountFailsWithoutAllocating() throws IOException {
        assertProblem(new GgufBytes().header(3, 1L << 40, 0).bytes(), "tensor count");
    }

    @Test
    void lyingMetadataCountFailsWithoutAllocating() throws IOException {
        assertProblem(new GgufBytes().header(3, 0, Long.MAX_VALUE).bytes(), "metadata");
    }

    @Test
    void lyingStringLengthFailsWithoutAllocating() throws IOException {
        byte[] b = new GgufBytes().header(3, 0, 1).u64(Long.MAX_VALUE - 3).raw(new byte[40]).bytes();
        assertProblem(b, "claims");
    }

    @Test
    void lyingArrayLengthFailsWithoutAllocating() throws IOException {
        byte[] b = new GgufBytes().header(3, 0, 1).str("k").u32(9).u32(GgufBytes.UINT32).u64(1L << 50).bytes();
        assertProblem(b, "array length");
    }

    @Test
    void tensorDataBeyondEndOfFileIsReported() throws IOException {
        GgufBytes b = new GgufBytes().header(3, 1, 0).tensorInfo("direction.1", F32, 0, 20).padTo(32).f32(1, 2);
        assertProblem(b.bytes(), "past the end");
    }

    @Test
    void offsetBeyondEndOfFileIsReported() throws IOException {
        GgufBytes b = new GgufBytes().header(3, 1, 0).tensorInfo("direction.1", F32, 1L << 40, 2).padTo(32).f32(1, 2);
        corrupt(b.bytes());
    }

    @Test
    void twoDimensionalDirectionIsRejected() throws IOException {
        GgufBytes b = new GgufBytes().header(3, 1, 0).tensorInfo("direction.1", F32, 0, 2, 2).padTo(32).f32(1, 2, 3, 4);
        assertProblem(b.bytes(), "1-D");
    }

    @Test
    void trailingUnitDimensionsCountAsOneDimensional() throws IOException {
        GgufBytes b = new GgufBytes().header(3, 1, 0).tensorInfo("direction.1", F32, 0, 2, 1).padTo(32).f32(1, 2);
        assertArrayEquals(new float[] {1, 2}, GgufControlVector.read(file("u.gguf", b.bytes())).direction(1));
    }

    @Test
    void tooManyDimensionsAreRejected() throws IOException {
        GgufBytes b = new GgufBytes().header(3, 1, 0).tensorInfo("direction.1", F32, 0, 1, 1, 1, 1, 1).padTo(32).f32(1);
        assertProblem(b.bytes(), "n_dims");
    }

    @Test
    void directionZeroIsRejectedAsLlamaCppDoes() throws IOException {
        GgufBytes b = new GgufBytes().header(3, 1, 0).tensorInfo("direction.0", F32, 0, 1).padTo(32).f32(1);
        assertProblem(b.bytes(), "direction.0");
    }

    @Test
    void tensorsOtherThanDirectionsAreRejected() throws IOException {
        GgufBytes b = new GgufBytes().header(3, 1, 0).tensorInfo("token_embd.weight", F32, 0, 1).padTo(32).f32(1);
        assertProblem(b.bytes(), "token_embd.weight");
    }

    @Test
    void directionsOfDifferentLengthsAreRejected() throws IOException {
        GgufBytes b = new GgufBytes().header(3, 2, 0).tensorInfo("direction.1", F32, 0, 2)
                .tensorInfo("direction.2", F32, 32, 3).padTo(32).f32(1, 2).padTo(32).f32(1, 2, 3);
        assertProblem(b.bytes(), "direction.2");
    }

    @Test
    void quantisedTensorTypesAreRejected() throws IOException {
        GgufBytes b = new GgufBytes().header(3, 1, 0).tensorInfo("direction.1", 2, 0, 32).padTo(32).raw(new byte[32]);
        assertProblem(b.bytes(), "type 2");
    }

    @Test
    void misalignedOffsetIsRejected() throws IOException {
        GgufBytes b = new GgufBytes().header(3, 1, 0).tensorInfo("direction.1", F32, 4, 1).padTo(32).f32(0, 1);
        assertProblem(b.bytes(), "alignment");
    }

    @Test
    void nanInTheDataIsReportedWithItsLayer() throws IOException {
        GgufBytes b = new GgufBytes().header(3, 1, 0).tensorInfo("direction.7", F32, 0, 2).padTo(32).f32(1, Float.NaN);
        assertProblem(b.bytes(), "layer 7");
    }

    @Test
    void fileWithoutTensorsIsNotAControlVector() throws IOException {
        assertProblem(new GgufBytes().header(3, 0, 0).bytes(), "no direction");
    }

    @Test
    void everyTruncationIsAFormatError() throws IOException {
        byte[] full = handBuilt();
        // Truncating only trailing padding of the last tensor leaves a readable file; anything earlier must fail.
        int lastDataEnd = full.length - 32 + 12;
        for (int len = 0; len < lastDataEnd; len++) {
            byte[] cut = java.util.Arrays.copyOf(full, len);
            Path p = file("t.gguf", cut);
            assertThrows(VectorFileFormatException.class, () -> GgufControlVector.read(p), "length " + len);
        }
    }

    @Test
    void randomCorruptionOnlyEverYieldsAFormatError() throws IOException {
        byte[] full = handBuilt();
        Random rnd = new Random(1234);
        Path p = dir.resolve("fuzz.gguf");
        for (int round = 0; round < 3000; round++) {
            byte[] b = full.clone();
            int flips = 1 + rnd.nextInt(4);
            for (int k = 0; k < flips; k++) {
                int pos = rnd.nextInt(b.length);
                // Mix random bytes with 0xFF runs, which turn counts and lengths into huge values.
                b[pos] = rnd.nextBoolean() ? (byte) rnd.nextInt(256) : (byte) 0xFF;
            }
            if (rnd.nextInt(4) == 0) {
                b = java.util.Arrays.copyOf(b, rnd.nextInt(b.length));
            }
            Files.write(p, b);
            try {
                GgufControlVector.read(p);
            } catch (VectorFileFormatException expected) {
                // the only acceptable failure
            } catch (RuntimeException | IOException | Error e) {
                fail("round " + round + ": " + e, e);
            }
        }
    }
}
