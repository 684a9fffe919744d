package io.steer4j.djl.hub;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelResolverLocalTest {

    @TempDir
    Path tmp;

    private ModelResolver resolver() {
        return ModelResolver.builder().environment(Map.of()).userHome(tmp.resolve("home"))
                .cacheDir(tmp.resolve("cache")).offline(true).build();
    }

    @Test
    void existingFolderIsReturnedAsIs() throws Exception {
        Path folder = Files.createDirectories(tmp.resolve("my-model"));

        assertEquals(folder, resolver().resolve(folder.toString()));
    }

    @Test
    void tildeExpandsToTheUserHome() throws Exception {
        Path folder = Files.createDirectories(tmp.resolve("home").resolve("models").resolve("gpt2"));

        assertEquals(folder, resolver().resolve("~/models/gpt2"));
    }

    @Test
    void missingPathLikeReferenceIsRejectedNamingThePath() {
        String ref = tmp.resolve("no-such-model").toString();

        ModelResolutionException e = assertThrows(ModelResolutionException.class, () -> resolver().resolve(ref));

        assertEquals(ModelResolutionException.Reason.LOCAL_PATH_NOT_FOUND, e.reason());
        assertTrue(e.getMessage().contains(ref), e.getMessage());
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void relativeDotPathIsNeverTakenForARepoId() {
        ModelResolutionException e = assertThrows(ModelResolutionException.class,
                () -> resolver().resolve("./gpt2"));

        assertEquals(ModelResolutionException.Reason.LOCAL_PATH_NOT_FOUND, e.reason());
    }

    @Test
    void fileInsteadOfFolderIsRejected() throws Exception {
        Path file = Files.writeString(tmp.resolve("config.json"), "{}");

        ModelResolutionException e = assertThrows(ModelResolutionException.class,
                () -> resolver().resolve(file.toString()));

        assertEquals(ModelResolutionException.Reason.LOCAL_PATH_NOT_FOUND, e.reason());
        assertTrue(e.getMessage().contains("is a file"), e.getMessage());
    }

    @Test
    void malformedRepoIdIsRejected() {
        ModelResolutionException e = assertThrows(ModelResolutionException.class,
                () -> resolver().resolve("org/bad name"));

        assertEquals(ModelResolutionException.Reason.INVALID_REFERENCE, e.reason());
        assertTrue(e.getMessage().contains("org/bad name"), e.getMessage());
    }

    @Test
    void blankReferenceIsRejected() {
        ModelResolutionException e = assertThrows(ModelResolutionException.class, () -> resolver().resolve(" "));

        assertEquals(ModelResolutionException.Reason.INVALID_REFERENCE, e.reason());
    }
}
