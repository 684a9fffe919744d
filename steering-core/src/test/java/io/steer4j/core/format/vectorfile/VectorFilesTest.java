package io.steer4j.core.format.vectorfile;

import io.steer4j.core.vector.SteeringVector;
import io.steer4j.core.vector.VectorMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VectorFilesTest {
    @TempDir
    Path dir;

    private static SteeringVector sample() {
        return new SteeringVector(Map.of(1, new float[] {1, 2}, 2, new float[] {3, 4}),
                VectorMetadata.builder().modelId("gpt2").hiddenSize(2).method("pca_diff").datasetSize(10).build());
    }

    @Test
    void safetensorsExtensionKeepsAllMetadata() throws IOException {
        SteeringVector v = sample();
        Path p = dir.resolve("v.safetensors");
        VectorFiles.write(v, p);
        assertEquals(v.metadata(), VectorFiles.read(p).metadata());
    }

    @Test
    void ggufExtensionWritesALlamaCppControlVector() throws IOException {
        Path p = dir.resolve("v.gguf");
        VectorFiles.write(sample(), p);
        byte[] b = Files.readAllBytes(p);
        assertEquals("GGUF", new String(b, 0, 4, java.nio.charset.StandardCharsets.US_ASCII));
        SteeringVector back = VectorFiles.read(p);
        assertArrayEquals(new float[] {3, 4}, back.direction(2));
        // GGUF keeps only the directions and the model hint
        assertEquals("gpt2", back.metadata().modelId());
        assertEquals("", back.metadata().method());
        assertEquals(0, back.metadata().datasetSize());
    }

    private static Path torchVectors(String name) throws Exception {
        return Path.of(VectorFilesTest.class.getResource("/torch-vectors/" + name).toURI());
    }

    @Test
    void ptExtensionReadsATorchSaveFileWithTheGivenOptions() throws Exception {
        SteeringVector v = VectorFiles.read(torchVectors("bare.pt"),
                io.steer4j.core.format.VectorImportOptions.defaults().withLayer(4));
        assertEquals(java.util.Set.of(4), v.layers());
        assertEquals("torch.save", v.metadata().notes().get("source_format"));
    }

    @Test
    void folderIsReadAsCaaVectors() throws Exception {
        assertEquals(java.util.Set.of(1, 2, 3), VectorFiles.read(torchVectors("caa/helpfulness")).layers());
    }

    @Test
    void svecExtensionWritesAndReadsActivationSteeringJson() throws IOException {
        Path p = dir.resolve("v.svec");
        VectorFiles.write(sample(), p);
        assertTrue(Files.readString(p).contains("\"model_type\":\"gpt2\""));
        assertArrayEquals(new float[] {3, 4}, VectorFiles.read(p).direction(2));
    }

    @Test
    void ptCannotBeWritten() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> VectorFiles.write(sample(), dir.resolve("v.pt")));
        assertTrue(e.getMessage().contains("does not write"), e.getMessage());
    }

    @Test
    void extensionMatchingIgnoresCase() throws IOException {
        Path p = dir.resolve("V.GGUF");
        VectorFiles.write(sample(), p);
        assertEquals(sample().layers(), VectorFiles.read(p).layers());
    }

    @Test
    void unknownExtensionIsRejectedNamingTheKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> VectorFiles.write(sample(), dir.resolve("v.bin")));
        assertTrue(e.getMessage().contains(".safetensors") && e.getMessage().contains(".gguf"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> VectorFiles.read(dir.resolve("v.npy")));
    }
}
