package io.steer4j.cli;

import io.steer4j.core.format.vectorfile.VectorFiles;
import io.steer4j.core.format.VectorImportOptions;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.examples.TinyModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** torch.save vectors on the command line: inspect, convert and generate take FILE.pt@LAYER. */
class TorchVectorCliTest {
    @TempDir
    Path tmp;

    private static Path helpfulness() throws Exception {
        return Path.of(TorchVectorCliTest.class.getResource("/torch-vectors/article/helpfulness_vector.pt").toURI());
    }

    @Test
    void inspectShowsWhereATorchFileCameFrom() throws Exception {
        Steer4jCliTest.Run r = Steer4jCliTest.run("inspect", helpfulness() + "@2");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("torch.save file (tensor), read without executing it"), r.out());
        assertTrue(r.out().contains("note source_convention: CAA / EasySteer pt_direction / bare tensor"), r.out());
        assertTrue(r.out().contains("1 (2..2)"), r.out());
    }

    @Test
    void bareTensorWithoutLayerIsAnErrorThatSaysHowToGiveIt() throws Exception {
        Steer4jCliTest.Run r = Steer4jCliTest.run("inspect", helpfulness().toString());
        assertNotEquals(0, r.code(), r.toString());
        assertTrue(r.err().contains("FILE@LAYER"), r.toString());
    }

    @Test
    void convertWritesSafetensorsGgufAndSvecWithTheSameDirection() throws Exception {
        SteeringVector want = VectorFiles.read(helpfulness(), VectorImportOptions.defaults().withLayer(2));
        for (String ext : new String[] {"safetensors", "gguf", "svec"}) {
            Path out = tmp.resolve("h." + ext);
            Steer4jCliTest.Run r = Steer4jCliTest.run("convert", helpfulness() + "@2", out.toString());
            assertEquals(0, r.code(), r.toString());
            SteeringVector back = VectorFiles.read(out);
            assertEquals(Set.of(2), back.layers(), ext);
            assertArrayEquals(want.direction(2), back.direction(2), ext);
        }
        assertTrue(Files.readString(tmp.resolve("h.svec")).contains("\"3\":["), "activation-steering's layer 3 "
                + "is the input of block 3 = steer4j resid_post(2)");
    }

    @Test
    void layerRangeAfterTheFilePlacesTheDirectionAtEachLayer() throws Exception {
        Path out = tmp.resolve("h.safetensors");
        Steer4jCliTest.Run r = Steer4jCliTest.run("convert", helpfulness() + "@1-3", out.toString());
        assertEquals(0, r.code(), r.toString());
        SteeringVector back = VectorFiles.read(out);
        assertEquals(Set.of(1, 2, 3), back.layers());
        assertArrayEquals(back.direction(1), back.direction(3));
    }

    @Test
    void generateSteersWithATorchFile() throws Exception {
        String model = TinyModel.requireReal("stories260k").toString();
        Steer4jCliTest.Run r = Steer4jCliTest.run("generate", "--model", model, "--max-tokens", "12", "--compare",
                "--vector", helpfulness() + "@2:2", "Once upon a time");
        assertEquals(0, r.code(), r.toString());
        String out = r.out();
        int steeredAt = out.indexOf("=== steered:");
        assertTrue(out.startsWith("=== unsteered ===") && steeredAt > 0, out);
        String plain = out.substring("=== unsteered ===".length(), steeredAt).strip();
        String steered = out.substring(out.indexOf("===", steeredAt + 3) + 3).strip();
        assertNotEquals(plain, steered, out);
    }
}
