package io.steer4j.djl.hub;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;

import static io.steer4j.djl.hub.CacheFixture.COMMIT;
import static io.steer4j.djl.hub.CacheFixture.OTHER_COMMIT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 27 rows 7 and 11, on a loopback hub: a download is one snapshot (a mirror changing or spoiling
 * {@code X-Repo-Commit} mid-way is refused, naming the header), and a shard index is capped.
 */
class MirrorCommitAndShardsTest {
    private static final String REPO = "test-org/tiny-gpt2";

    @TempDir
    Path tmp;
    private FakeHub hub;
    private Path cache;

    @BeforeEach
    void startHub() throws IOException {
        hub = new FakeHub();
        cache = tmp.resolve("cache");
    }

    @AfterEach
    void stopHub() {
        hub.close();
    }

    private ModelResolutionException refused() {
        ModelResolver resolver = hub.resolverBuilder(cache, tmp.resolve("home"), Map.of()).build();
        return assertTimeoutPreemptively(Duration.ofSeconds(60),
                () -> assertThrows(ModelResolutionException.class, () -> resolver.resolve(REPO)));
    }

    private long snapshotFolders() throws IOException {
        Path snapshots = cache.resolve(RepoRef.folderName(REPO)).resolve("snapshots");
        if (!Files.isDirectory(snapshots)) {
            return 0;
        }
        try (Stream<Path> s = Files.list(snapshots)) {
            return s.count();
        }
    }

    @Test
    void anUnsafeCommitHeaderOnOneFileIsRefusedNamingTheHeaderAndNothingIsSplit() throws IOException {
        hub.addGpt2Like(REPO, COMMIT).commitHeaders.put("config.json", "../../evil");

        ModelResolutionException e = refused();

        assertEquals(ModelResolutionException.Reason.UNSAFE_RESPONSE, e.reason());
        assertTrue(e.getMessage().contains("X-Repo-Commit") && e.getMessage().contains("../../evil"), e.getMessage());
        assertFalse(e.getMessage().contains("permissions"), e.getMessage());
        assertEquals(0, snapshotFolders());
        // a rerun fails the same clear way
        assertEquals(ModelResolutionException.Reason.UNSAFE_RESPONSE, refused().reason());
    }

    @Test
    void aCommitHeaderThatChangesMidDownloadIsRefused() {
        hub.addGpt2Like(REPO, COMMIT).commitHeaders.put("tokenizer.json", OTHER_COMMIT);

        ModelResolutionException e = refused();

        assertEquals(ModelResolutionException.Reason.UNSAFE_RESPONSE, e.reason());
        assertTrue(e.getMessage().contains(OTHER_COMMIT) && e.getMessage().contains(COMMIT), e.getMessage());
    }

    @Test
    void anIndexOfTwentyThousandShardsIsRefusedAfterAFewRequests() {
        StringBuilder index = new StringBuilder("{\"weight_map\":{");
        for (int i = 0; i < 20_000; i++) {
            index.append(i == 0 ? "" : ",").append("\"w").append(i).append("\":\"s").append(i)
                    .append(".safetensors\"");
        }
        FakeHub.Repo repo = hub.addRepo(REPO, COMMIT)
                .file("config.json", "{\"model_type\":\"gpt2\"}".getBytes(StandardCharsets.UTF_8))
                .file("model.safetensors.index.json", index.append("}}").toString().getBytes(StandardCharsets.UTF_8))
                .file("tokenizer.json", "{}".getBytes(StandardCharsets.UTF_8));
        assertFalse(repo.files.containsKey("model.safetensors"));

        ModelResolutionException e = refused();

        assertEquals(ModelResolutionException.Reason.UNSAFE_RESPONSE, e.reason());
        assertTrue(e.getMessage().contains("more than " + RepoFileNames.MAX_SHARDS + " shard files"), e.getMessage());
        assertTrue(hub.hubRequests() < 10, hub.hubRequests() + " requests");
    }
}
