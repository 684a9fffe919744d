package io.steer4j.djl.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Stop ids are read as Hugging Face generation reads them: generation_config.json first, then config.json. */
class EosTokensTest {
    @TempDir
    Path dir;

    private void write(String file, String json) throws Exception {
        Files.writeString(dir.resolve(file), json);
    }

    @Test
    void aListInGenerationConfigWinsOverConfigJson() throws Exception {
        write("config.json", "{\"eos_token_id\": 2}");
        write("generation_config.json", "{\"bos_token_id\": 1, \"eos_token_id\": [2, 1]}");
        assertEquals(Set.of(1L, 2L), EosTokens.read(dir));
    }

    @Test
    void anIntInGenerationConfigIsOneStopId() throws Exception {
        write("config.json", "{\"eos_token_id\": 2}");
        write("generation_config.json", "{\"eos_token_id\": 7}");
        assertEquals(Set.of(7L), EosTokens.read(dir));
    }

    @Test
    void withoutGenerationConfigEveryIdOfConfigJsonStops() throws Exception {
        write("config.json", "{\"eos_token_id\": [128001, 128008, 128009]}");
        assertEquals(Set.of(128001L, 128008L, 128009L), EosTokens.read(dir));
    }

    @Test
    void aGenerationConfigWithoutEosFallsBackToConfigJson() throws Exception {
        write("config.json", "{\"eos_token_id\": 50256}");
        write("generation_config.json", "{\"do_sample\": true}");
        assertEquals(Set.of(50256L), EosTokens.read(dir));
    }

    @Test
    void noEosAnywhereMeansNoStopId() throws Exception {
        write("config.json", "{\"eos_token_id\": null}");
        assertTrue(EosTokens.read(dir).isEmpty());
    }

    @Test
    void aNonIntegerIdIsRefusedNamingTheFile() throws Exception {
        write("config.json", "{}");
        write("generation_config.json", "{\"eos_token_id\": [2, \"x\"]}");
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> EosTokens.read(dir));
        assertTrue(e.getMessage().contains("generation_config.json") && e.getMessage().contains("eos_token_id"),
                e.getMessage());
    }
}
