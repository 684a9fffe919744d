package io.steer4j.djl.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A model_type steer4j does not run is refused naming it only when it is a published type; any other value is
 * described by its length, never quoted (the fuzz test found "hf_CANARYsecret" echoed in the message).
 */
class UnsupportedModelTypeTest {
    @TempDir
    Path dir;

    private String refusal(String type) throws Exception {
        Path config = dir.resolve("config.json");
        Files.writeString(config, "{\"model_type\": \"" + type + "\", \"architectures\": [\"" + type + "X\"]}");
        return assertThrows(ModelLoadException.class, () -> ModelConfig.read(config)).getMessage();
    }

    @Test
    void anUnknownValueIsDescribedByItsLengthNotQuoted() throws Exception {
        String m = refusal("hf_CANARYsecretTOKEN");
        assertFalse(m.contains("CANARY"), m);
        assertTrue(m.contains("20 characters"), m);
        assertTrue(m.contains("supported: [gpt2"), m);
    }

    @Test
    void aPublishedTypeIsNamed() throws Exception {
        String m = refusal("phi3");
        assertTrue(m.contains("'phi3'"), m);
    }

    @Test
    void aBertFolderIsPointedToTheEncoderLoader() throws Exception {
        assertTrue(refusal("bert").contains("EncoderModel.load"));
    }
}
