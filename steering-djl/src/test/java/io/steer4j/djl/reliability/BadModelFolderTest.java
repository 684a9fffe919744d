package io.steer4j.djl.reliability;

import io.steer4j.djl.TinyModels;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.model.ModelLoadException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A broken model folder is refused with a message that names the problem. */
class BadModelFolderTest {
    @TempDir
    Path tmp;

    private Path copyOfTiny() throws IOException {
        Path dst = tmp.resolve("model");
        Files.createDirectories(dst);
        try (Stream<Path> files = Files.list(TinyModels.gpt2Dir())) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, dst.resolve(f.getFileName()));
            }
        }
        return dst;
    }

    private static String loadError(Path dir) {
        return assertThrows(ModelLoadException.class, () -> LanguageModel.load(dir).close()).getMessage();
    }

    @Test
    void aMissingFolderIsNamed() {
        String m = loadError(tmp.resolve("nope"));
        assertTrue(m.contains("nope") && m.contains("does not exist"), m);
    }

    @Test
    void aFolderWithoutConfigIsRefused() throws IOException {
        Path d = copyOfTiny();
        Files.delete(d.resolve("config.json"));
        assertTrue(loadError(d).contains("config.json"));
    }

    @Test
    void aFolderWithoutWeightsIsRefused() throws IOException {
        Path d = copyOfTiny();
        Files.delete(d.resolve("model.safetensors"));
        assertTrue(loadError(d).contains("model.safetensors"));
    }

    @Test
    void aFolderWithoutAnyTokenizerIsRefused() throws IOException {
        Path d = copyOfTiny();
        Files.deleteIfExists(d.resolve("tokenizer.json"));
        Files.deleteIfExists(d.resolve("vocab.json"));
        Files.deleteIfExists(d.resolve("merges.txt"));
        assertTrue(loadError(d).contains("tokenizer"));
    }

    @Test
    void aConfigThatDoesNotMatchTheWeightsNamesTheWeightAndBothShapes() throws IOException {
        Path d = copyOfTiny();
        String cfg = Files.readString(d.resolve("config.json")).replaceAll("\"n_embd\"\\s*:\\s*32", "\"n_embd\": 64");
        Files.writeString(d.resolve("config.json"), cfg);
        String m = loadError(d);
        assertTrue(m.contains("wte.weight") && m.contains("32") && m.contains("64"), m);
    }

    @Test
    void aTruncatedCheckpointIsRefused() throws IOException {
        Path d = copyOfTiny();
        Path w = d.resolve("model.safetensors");
        try (FileChannel ch = FileChannel.open(w, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() / 2);
        }
        String m = loadError(d);
        assertTrue(m.contains("model.safetensors") && m.contains("truncated"), m);
    }

    @Test
    void anUnknownArchitectureListsTheSupportedOnes() throws IOException {
        Path d = copyOfTiny();
        String cfg = Files.readString(d.resolve("config.json")).replaceAll("\"model_type\"\\s*:\\s*\"gpt2\"",
                "\"model_type\": \"mamba\"");
        Files.writeString(d.resolve("config.json"), cfg);
        String m = loadError(d);
        assertTrue(m.contains("mamba") && m.contains("gpt2"), m);
    }
}
