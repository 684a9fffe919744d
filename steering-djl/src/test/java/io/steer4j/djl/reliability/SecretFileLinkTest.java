package io.steer4j.djl.reliability;

import io.steer4j.djl.RealModels;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.model.ModelLoadException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 27 row 2: a model folder (a copy of stories260k with one file changed) cannot make steer4j read a file
 * outside it, and no parse error quotes the content of the file it failed on.
 */
class SecretFileLinkTest {
    private static final String SECRET = "hf_CANARYsecretTOKEN0123456789abcdef";

    @TempDir
    Path tmp;

    private Path copyOfStories() throws IOException {
        Path dst = tmp.resolve("model");
        Files.createDirectories(dst);
        try (Stream<Path> files = Files.list(RealModels.require("stories260k"))) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, dst.resolve(f.getFileName()));
            }
        }
        return dst;
    }

    private Path tokenFile() throws IOException {
        Path token = tmp.resolve("token");
        Files.writeString(token, SECRET + "\n");
        return token;
    }

    private static String loadError(Path dir) {
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> LanguageModel.load(dir).close());
        for (Throwable t = e; t != null; t = t.getCause()) {
            assertFalse(String.valueOf(t.getMessage()).contains("CANARY"), "secret quoted: " + t.getMessage());
        }
        return e.getMessage();
    }

    @ParameterizedTest
    @ValueSource(strings = {"config.json", "generation_config.json", "tokenizer_config.json", "vocab.json",
            "tokenizer.json"})
    void aFileLinkedOutsideTheFolderIsRefusedBeforeItIsRead(String name) throws IOException {
        Path d = copyOfStories();
        Files.deleteIfExists(d.resolve(name));
        Files.createSymbolicLink(d.resolve(name), tokenFile());

        String m = loadError(d);

        assertTrue(m.contains(name) && m.contains("symbolic link to a file outside the folder"), m);
    }

    @ParameterizedTest
    @ValueSource(strings = {"config.json", "generation_config.json", "tokenizer_config.json"})
    void aFileHoldingTheSecretIsReportedByPositionNotByContent(String name) throws IOException {
        Path d = copyOfStories();
        Files.writeString(d.resolve(name), SECRET);

        String m = loadError(d);

        assertTrue(m.contains(name) && m.contains("line 1, column"), m);
    }

    @Test
    void aLocalFolderLinkingItsWeightsIntoAHubCacheBlobStillLoads() throws IOException {
        Path d = copyOfStories();
        Path blob = Files.createDirectories(tmp.resolve("cache/models--x--stories/blobs")).resolve("0123abcd");
        Files.move(d.resolve("model.safetensors"), blob);
        Files.createSymbolicLink(d.resolve("model.safetensors"), blob);

        try (LanguageModel lm = LanguageModel.load(d)) {
            assertTrue(lm.numLayers() > 0);
        }
    }

    @Test
    void aHubCacheSnapshotLinkingIntoItsBlobsStillLoads() throws IOException {
        Path repo = tmp.resolve("models--x--stories");
        Path blobs = Files.createDirectories(repo.resolve("blobs"));
        Path snapshot = Files.createDirectories(repo.resolve("snapshots").resolve("0123abcd"));
        try (Stream<Path> files = Files.list(RealModels.require("stories260k"))) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Path blob = blobs.resolve("blob-" + f.getFileName());
                Files.copy(f, blob);
                Files.createSymbolicLink(snapshot.resolve(f.getFileName()),
                        Path.of("../../blobs").resolve(blob.getFileName()));
            }
        }

        try (LanguageModel lm = LanguageModel.load(snapshot)) {
            assertTrue(lm.numLayers() > 0);
        }
    }
}
