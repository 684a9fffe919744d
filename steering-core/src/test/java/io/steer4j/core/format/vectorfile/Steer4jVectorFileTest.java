package io.steer4j.core.format.vectorfile;

import io.steer4j.core.format.VectorFileFormatException;
import io.steer4j.core.format.safetensors.SafetensorsDtype;
import io.steer4j.core.format.safetensors.SafetensorsHeader;
import io.steer4j.core.format.safetensors.SafetensorsTensorInfo;
import io.steer4j.core.plan.HookPoint;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.core.vector.VectorMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Steer4jVectorFileTest {
    @TempDir
    Path dir;

    private static SteeringVector sample() {
        VectorMetadata meta = VectorMetadata.builder()
                .modelId("openai-community/gpt2")
                .hiddenSize(3)
                .hookPoint(HookPoint.RESID_PRE)
                .method("pca_diff")
                .readPosition("last_token")
                .datasetSize(64)
                .createdAt(Instant.parse("2024-05-01T12:34:56.789Z"))
                .note("dataset", "happy-sad")
                .note("unicode", "glück ✓")
                .build();
        Map<Integer, float[]> dirs = new TreeMap<>();
        dirs.put(0, new float[] {-0.0f, Float.MIN_VALUE, Float.MAX_VALUE});
        dirs.put(6, new float[] {1.5f, -2.25f, (float) Math.E});
        return new SteeringVector(dirs, meta);
    }

    /** A safetensors file built by hand: u64 LE header length, JSON header, then data. */
    private Path handBuilt(String name, String headerJson, byte[] data) throws IOException {
        byte[] h = headerJson.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).array());
        out.write(h);
        out.write(data);
        Path p = dir.resolve(name);
        Files.write(p, out.toByteArray());
        return p;
    }

    private static byte[] f32(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return b.array();
    }

    private VectorFileFormatException bad(Path p) {
        VectorFileFormatException e = assertThrows(VectorFileFormatException.class, () -> Steer4jVectorFile.read(p));
        assertTrue(e.getMessage().contains(p.getFileName().toString()), e.getMessage());
        return e;
    }

    @Test
    void roundTripKeepsMetadataAndBitIdenticalFloats() throws IOException {
        SteeringVector v = sample();
        Path p = dir.resolve("v.safetensors");
        Steer4jVectorFile.write(v, p);
        SteeringVector back = Steer4jVectorFile.read(p);
        assertEquals(v.metadata(), back.metadata());
        for (int layer : v.layers()) {
            float[] a = v.direction(layer);
            float[] b = back.direction(layer);
            for (int i = 0; i < a.length; i++) {
                assertEquals(Float.floatToRawIntBits(a[i]), Float.floatToRawIntBits(b[i]));
            }
        }
    }

    @Test
    void roundTripKeepsAnUnknownCreationTime() throws IOException {
        SteeringVector v = sample().withMetadata(sample().metadata().toBuilder().createdAt(null).build());
        Path p = dir.resolve("v.safetensors");
        Steer4jVectorFile.write(v, p);
        assertNull(Steer4jVectorFile.read(p).metadata().createdAt());
    }

    @Test
    void fileIsPlainSafetensorsWithDirectionTensorsAndReadableKeys() throws IOException {
        Path p = dir.resolve("v.safetensors");
        Steer4jVectorFile.write(sample(), p);
        SafetensorsHeader h = SafetensorsHeader.read(p);
        SafetensorsTensorInfo t = h.tensor("direction.6").orElseThrow();
        assertEquals(SafetensorsDtype.F32, t.dtype());
        assertArrayEquals(new long[] {3}, t.shape());
        assertEquals(List.of("direction.0", "direction.6"), h.tensors().stream().map(SafetensorsTensorInfo::name).toList());
        assertEquals("openai-community/gpt2", h.metadata().get("model_id"));
        assertEquals("3", h.metadata().get("hidden_size"));
        assertEquals("resid_pre", h.metadata().get("hook_point"));
        assertEquals("pca_diff", h.metadata().get("method"));
        assertTrue(h.metadata().get("steer4j").contains("\"read_position\":\"last_token\""), h.metadata().get("steer4j"));
    }

    @Test
    void readsTensorOnlyFilesFromOtherTools() throws IOException {
        Path p = handBuilt("plain.safetensors",
                "{\"direction.2\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", f32(3, -4));
        SteeringVector v = Steer4jVectorFile.read(p);
        assertArrayEquals(new float[] {3, -4}, v.direction(2));
        assertEquals(2, v.hiddenSize());
        assertEquals("resid_post", v.metadata().hookPoint());
        assertEquals("", v.metadata().modelId());
    }

    @Test
    void readsPlainKeysWhenTheJsonIsAbsent() throws IOException {
        Path p = handBuilt("keys.safetensors", "{\"__metadata__\":{\"model_id\":\"m\",\"hook_point\":\"attn_out\","
                + "\"method\":\"mean_difference\"},\"direction.1\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
                f32(7));
        VectorMetadata m = Steer4jVectorFile.read(p).metadata();
        assertEquals("m", m.modelId());
        assertEquals("attn_out", m.hookPoint());
        assertEquals("mean_difference", m.method());
    }

    @Test
    void widensF16Directions() throws IOException {
        // 0x3C00 = 1.0, 0xC000 = -2.0 (little-endian bytes)
        Path p = handBuilt("h.safetensors", "{\"direction.1\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}",
                new byte[] {0x00, 0x3C, 0x00, (byte) 0xC0});
        assertArrayEquals(new float[] {1, -2}, Steer4jVectorFile.read(p).direction(1));
    }

    @Test
    void otherTensorsAreSkipped() throws IOException {
        Path p = handBuilt("o.safetensors", "{\"bias\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"direction.3\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", f32(9, 5));
        SteeringVector v = Steer4jVectorFile.read(p);
        assertEquals(List.of(3), List.copyOf(v.layers()));
        assertArrayEquals(new float[] {5}, v.direction(3));
    }

    @Test
    void fileWithoutDirectionsIsRejected() throws IOException {
        Path p = handBuilt("n.safetensors", "{\"bias\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", f32(1));
        assertTrue(bad(p).getMessage().contains("no direction"));
    }

    @Test
    void twoDimensionalDirectionIsRejected() throws IOException {
        Path p = handBuilt("d.safetensors", "{\"direction.1\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[0,8]}}",
                f32(1, 2));
        assertTrue(bad(p).getMessage().contains("1-D"));
    }

    @Test
    void metadataHiddenSizeMustMatchTheTensors() throws IOException {
        Path p = handBuilt("m.safetensors", "{\"__metadata__\":{\"steer4j\":\"{\\\"hidden_size\\\":5}\"},"
                + "\"direction.1\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", f32(1, 2));
        String message = bad(p).getMessage();
        assertTrue(message.contains("5") && message.contains("2"), message);
    }

    @Test
    void invalidMetadataJsonIsReported() throws IOException {
        Path p = handBuilt("j.safetensors", "{\"__metadata__\":{\"steer4j\":\"{not json\"},"
                + "\"direction.1\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", f32(1));
        assertTrue(bad(p).getMessage().contains("invalid metadata"));
    }

    @Test
    void newerFormatVersionIsReported() throws IOException {
        Path p = handBuilt("f.safetensors", "{\"__metadata__\":{\"steer4j\":\"{\\\"format_version\\\":2,\\\"hidden_size\\\":1}\"},"
                + "\"direction.1\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", f32(1));
        assertTrue(bad(p).getMessage().contains("format_version 2"));
    }

    @Test
    void nonFiniteValuesAreReportedWithTheLayer() throws IOException {
        Path p = handBuilt("nan.safetensors", "{\"direction.4\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
                f32(Float.POSITIVE_INFINITY));
        assertTrue(bad(p).getMessage().contains("layer 4"));
    }

    @Test
    void everyTruncationIsAFormatError() throws IOException {
        Path good = dir.resolve("v.safetensors");
        Steer4jVectorFile.write(sample(), good);
        byte[] full = Files.readAllBytes(good);
        Path p = dir.resolve("cut.safetensors");
        for (int len = 0; len < full.length; len++) {
            Files.write(p, Arrays.copyOf(full, len));
            assertThrows(VectorFileFormatException.class, () -> Steer4jVectorFile.read(p), "length " + len);
        }
    }

    @Test
    void writeLeavesNoTemporaryFiles() throws IOException {
        Path p = dir.resolve("v.safetensors");
        Steer4jVectorFile.write(sample(), p);
        Steer4jVectorFile.write(sample(), p);
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(p), files.toList());
        }
    }

    @Test
    void aModelCheckpointGivenAsAVectorIsRefusedInOneMessageThatSaysWhatItLooksLike() throws IOException {
        var w = new io.steer4j.core.format.safetensors.SafetensorsWriter();
        for (int l = 0; l < 12; l++) {
            w.addF32("model.layers." + l + ".mlp.up_proj.weight", new long[] {2, 2}, new float[4]);
        }
        Path file = dir.resolve("model.safetensors");
        w.writeAtomically(file);
        VectorFileFormatException e = assertThrows(VectorFileFormatException.class,
                () -> Steer4jVectorFile.read(file));
        assertTrue(e.getMessage().contains("no direction.N tensors among its 12 tensors"), e.getMessage());
        assertTrue(e.getMessage().contains("a model checkpoint?"), e.getMessage());
    }
}
