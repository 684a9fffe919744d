package io.steer4j.core.format.svec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steer4j.core.format.VectorFileFormatException;
import io.steer4j.core.plan.HookPoint;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.core.vector.VectorMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** IBM activation-steering .svec: its layer L steers the input of block L, steer4j's resid_post(L - 1). */
class SvecFileTest {
    @TempDir
    Path dir;

    private static Path golden() throws URISyntaxException {
        return Path.of(SvecFileTest.class.getResource("/torch-vectors/ibm.svec").toURI());
    }

    @Test
    void fileLayerLBecomesResidPostOfTheBlockBefore() throws Exception {
        SteeringVector v = SvecFile.read(golden());
        assertEquals(Set.of(2, 3), v.layers());
        assertEquals(HookPoint.RESID_POST.id(), v.metadata().hookPoint());
        assertEquals("llama", v.metadata().modelId());
        assertEquals("3,4", v.metadata().notes().get("source_layers"));
        JsonNode expected = new ObjectMapper().readTree(golden().getParent().resolve("expected.json").toFile())
                .get("ibm.svec").get("layers");
        for (int fileLayer : new int[] {3, 4}) {
            JsonNode arr = expected.get(Integer.toString(fileLayer));
            float[] d = v.direction(fileLayer - 1);
            for (int i = 0; i < d.length; i++) {
                assertEquals((float) arr.get(i).doubleValue(), d[i], "layer " + fileLayer + " index " + i);
            }
        }
    }

    @Test
    void layerZeroKeepsTheFilesNumberingAsResidPre() throws IOException {
        Path f = dir.resolve("zero.svec");
        Files.writeString(f, "{\"model_type\":\"gpt2\",\"directions\":{\"0\":[1.0,2.0],\"1\":[3.0,4.0]},"
                + "\"explained_variances\":{}}");
        SteeringVector v = SvecFile.read(f);
        assertEquals(HookPoint.RESID_PRE.id(), v.metadata().hookPoint());
        assertArrayEquals(new float[] {3, 4}, v.direction(1));
    }

    @Test
    void writtenFileReadsBackEqualAndNumbersLayersAsActivationSteeringDoes() throws IOException {
        Map<Integer, float[]> d = new TreeMap<>();
        d.put(1, new float[] {0.1f, -2.5f, 3e-8f});
        d.put(4, new float[] {1f, 2f, 3f});
        SteeringVector v = new SteeringVector(d, VectorMetadata.builder().hiddenSize(3).modelId("llama").build());
        Path f = dir.resolve("out.svec");
        SvecFile.write(v, f);
        JsonNode json = new ObjectMapper().readTree(f.toFile());
        assertTrue(json.get("directions").has("2") && json.get("directions").has("5"), json.toString());
        SteeringVector back = SvecFile.read(f);
        assertEquals(v.layers(), back.layers());
        for (int l : v.layers()) {
            assertArrayEquals(v.direction(l), back.direction(l));
        }
    }

    @Test
    void explainedVariancesSurviveARoundTrip() throws Exception {
        SteeringVector v = SvecFile.read(golden());
        Path f = dir.resolve("copy.svec");
        SvecFile.write(v, f);
        JsonNode ev = new ObjectMapper().readTree(f.toFile()).get("explained_variances");
        assertEquals(0.5, ev.get("3").doubleValue());
        assertEquals(0.25, ev.get("4").doubleValue());
    }

    @Test
    void attentionOutputVectorCannotBeWritten() {
        SteeringVector v = new SteeringVector(Map.of(1, new float[] {1}),
                VectorMetadata.builder().hiddenSize(1).hookPoint(HookPoint.ATTN_OUT).build());
        assertThrows(IllegalArgumentException.class, () -> SvecFile.write(v, dir.resolve("x.svec")));
    }

    @Test
    void raggedDirectionsAreRefused() throws IOException {
        Path f = dir.resolve("ragged.svec");
        Files.writeString(f, "{\"directions\":{\"1\":[1.0,2.0],\"2\":[3.0]}}");
        VectorFileFormatException e = assertThrows(VectorFileFormatException.class, () -> SvecFile.read(f));
        assertTrue(e.getMessage().contains("has 1 values but others have 2"), e.getMessage());
    }
}
