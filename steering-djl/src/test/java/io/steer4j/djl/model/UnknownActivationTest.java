package io.steer4j.djl.model;

import io.steer4j.fixtures.TinyCheckpoints;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An activation no engine computes is refused at load, by the Java CPU engine exactly as by libtorch (the Java
 * engine once fell back to ReLU where libtorch threw).
 */
class UnknownActivationTest {
    @TempDir
    Path dir;

    private String refusal(CpuEngine engine) throws Exception {
        Path folder = TinyCheckpoints.gpt2(dir.resolve(engine.name()));
        Path config = folder.resolve("config.json");
        String json = Files.readString(config);
        String changed = json.replaceFirst("(\"activation_function\"\\s*:\\s*)\"[^\"]*\"", "$1\"quick_gelu\"");
        if (changed.equals(json)) {
            changed = json.replaceFirst("\\{", "{\"activation_function\": \"quick_gelu\", ");
        }
        Files.writeString(config, changed);
        return assertThrows(ModelLoadException.class,
                () -> LanguageModel.load(folder, LoadOptions.builder().cpuEngine(engine).build()).close())
                .getMessage();
    }

    @Test
    void bothEnginesRefuseAnUnknownActivationWithTheSameMessage() throws Exception {
        String java = refusal(CpuEngine.JAVA);
        assertTrue(java.contains("unsupported activation 'quick_gelu'"), java);
        assertEquals(refusal(CpuEngine.LIBTORCH), java);
    }
}
