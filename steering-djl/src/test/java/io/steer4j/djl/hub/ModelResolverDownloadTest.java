package io.steer4j.djl.hub;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static io.steer4j.djl.hub.CacheFixture.COMMIT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Downloads against a loopback fake of the hub's {@code /{repo}/resolve/{rev}/{file}} API; no other network. */
class ModelResolverDownloadTest {

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

    private ModelResolver resolver(Map<String, String> extraEnv) {
        return hub.resolverBuilder(cache, tmp.resolve("home"), extraEnv).build();
    }

    private ModelResolver resolver() {
        return resolver(Map.of());
    }

    private Path repoDir(String repoId) {
        return cache.resolve(RepoRef.folderName(repoId));
    }

    @Test
    void downloadedFilesAreByteIdenticalToTheHub() throws Exception {
        FakeHub.Repo repo = hub.addGpt2Like(REPO, COMMIT);

        Path snapshot = resolver().resolve(REPO);

        for (Map.Entry<String, byte[]> file : repo.files.entrySet()) {
            assertArrayEquals(file.getValue(), Files.readAllBytes(snapshot.resolve(file.getKey())), file.getKey());
        }
    }

    @Test
    void downloadIsLaidOutAsBlobsSnapshotsAndRefs() throws Exception {
        FakeHub.Repo repo = hub.addGpt2Like(REPO, COMMIT);

        Path snapshot = resolver().resolve(REPO);

        assertEquals(repoDir(REPO).resolve("snapshots").resolve(COMMIT), snapshot);
        assertEquals(COMMIT, Files.readString(repoDir(REPO).resolve("refs/main")));
        Path weightsBlob = repoDir(REPO).resolve("blobs").resolve(FakeHub.sha256(repo.files.get("model.safetensors")));
        assertTrue(Files.isRegularFile(weightsBlob), "LFS blob is named by its sha256 etag");
        assertTrue(Files.isSameFile(weightsBlob, snapshot.resolve("model.safetensors")));
        try (Stream<Path> blobs = Files.list(repoDir(REPO).resolve("blobs"))) {
            assertFalse(blobs.anyMatch(p -> p.getFileName().toString().endsWith(".incomplete")));
        }
    }

    @Test
    void filesAfterConfigAreFetchedByCommitNotBranch() throws Exception {
        hub.addGpt2Like(REPO, COMMIT);

        resolver().resolve(REPO);

        List<String> hubPaths = hub.requests.stream().filter(r -> r.server.equals("hub")).map(r -> r.path)
                .collect(Collectors.toList());
        assertEquals("/" + REPO + "/resolve/main/config.json", hubPaths.get(0));
        assertTrue(hubPaths.subList(1, hubPaths.size()).stream().allMatch(p -> p.contains("/resolve/" + COMMIT + "/")),
                hubPaths.toString());
    }

    @Test
    void secondResolveDoesNotContactTheHub() throws Exception {
        hub.addGpt2Like(REPO, COMMIT);
        Path first = resolver().resolve(REPO);
        int requestsAfterFirst = hub.requests.size();

        Path second = resolver().resolve(REPO);

        assertEquals(first, second);
        assertEquals(requestsAfterFirst, hub.requests.size());
    }

    @Test
    void missingOptionalFilesDoNotFailTheDownload() throws Exception {
        hub.addGpt2Like(REPO, COMMIT); // no generation_config.json, no special_tokens_map.json

        Path snapshot = resolver().resolve(REPO);

        assertFalse(Files.exists(snapshot.resolve("generation_config.json")));
        assertTrue(Files.exists(snapshot.resolve("tokenizer_config.json")));
    }

    @Test
    void largeFileFollowsTheCdnRedirectWithoutLeakingTheToken() throws Exception {
        hub.addGpt2Like(REPO, COMMIT);

        resolver(Map.of("HF_TOKEN", "hf_secret")).resolve(REPO);

        List<FakeHub.Request> cdn = hub.requests.stream().filter(r -> r.server.equals("cdn"))
                .collect(Collectors.toList());
        assertEquals(1, cdn.size(), hub.requests.toString());
        assertNull(cdn.get(0).authorization, "token must not be sent to another origin");
        assertTrue(hub.requests.stream().filter(r -> r.server.equals("hub"))
                .allMatch(r -> "Bearer hf_secret".equals(r.authorization)));
    }

    @Test
    void legacyIdIsDownloadedUnderTheNamespacedId() throws Exception {
        hub.addGpt2Like("openai-community/gpt2", COMMIT);

        Path snapshot = resolver().resolve("gpt2");

        assertEquals(repoDir("openai-community/gpt2").resolve("snapshots").resolve(COMMIT), snapshot);
    }

    @Test
    void shardedWeightsAndVocabMergesTokenizerAreDownloaded() throws Exception {
        byte[] shard1 = FakeHub.randomBytes(1000, 1);
        byte[] shard2 = FakeHub.randomBytes(2000, 2);
        hub.addRepo(REPO, COMMIT)
                .file("config.json", "{}".getBytes(StandardCharsets.UTF_8))
                .file("model.safetensors.index.json", ("{\"weight_map\":{\"a\":\"model-00001-of-00002.safetensors\","
                        + "\"b\":\"model-00002-of-00002.safetensors\"}}").getBytes(StandardCharsets.UTF_8))
                .lfsFile("model-00001-of-00002.safetensors", shard1)
                .lfsFile("model-00002-of-00002.safetensors", shard2)
                .file("vocab.json", "{}".getBytes(StandardCharsets.UTF_8))
                .file("merges.txt", "#version: 0.2".getBytes(StandardCharsets.UTF_8));

        Path snapshot = resolver().resolve(REPO);

        assertArrayEquals(shard1, Files.readAllBytes(snapshot.resolve("model-00001-of-00002.safetensors")));
        assertArrayEquals(shard2, Files.readAllBytes(snapshot.resolve("model-00002-of-00002.safetensors")));
        assertTrue(Files.exists(snapshot.resolve("merges.txt")));
    }

    @Test
    void gatedRepositoryFailsWithTokenAdvice() {
        hub.addGpt2Like(REPO, COMMIT).gated = true;

        ModelResolutionException e = assertThrows(ModelResolutionException.class, () -> resolver().resolve(REPO));

        assertEquals(ModelResolutionException.Reason.AUTHENTICATION_REQUIRED, e.reason());
        assertTrue(e.getMessage().contains(REPO), e.getMessage());
        assertTrue(e.getMessage().contains("HF_TOKEN"), e.getMessage());
        assertFalse(Files.exists(repoDir(REPO).resolve("refs")));
    }

    @Test
    void unknownRepositoryFailsAsNotFound() {
        ModelResolutionException e = assertThrows(ModelResolutionException.class,
                () -> resolver().resolve("nobody/nothing"));

        assertEquals(ModelResolutionException.Reason.REPOSITORY_NOT_FOUND, e.reason());
        assertTrue(e.getMessage().contains("nobody/nothing"), e.getMessage());
        assertTrue(e.getMessage().contains("404"), e.getMessage());
    }

    @Test
    void unknownRevisionFailsAsNotFound() {
        hub.addGpt2Like(REPO, COMMIT);

        ModelResolutionException e = assertThrows(ModelResolutionException.class,
                () -> resolver().resolve(REPO + "@no-such-branch"));

        assertEquals(ModelResolutionException.Reason.REPOSITORY_NOT_FOUND, e.reason());
        assertTrue(e.getMessage().contains("no-such-branch"), e.getMessage());
    }

    @Test
    void repositoryWithoutSafetensorsIsUnsupported() {
        hub.addRepo(REPO, COMMIT).file("config.json", "{}".getBytes(StandardCharsets.UTF_8))
                .file("pytorch_model.bin", new byte[10]).file("tokenizer.json", "{}".getBytes(StandardCharsets.UTF_8));

        ModelResolutionException e = assertThrows(ModelResolutionException.class, () -> resolver().resolve(REPO));

        assertEquals(ModelResolutionException.Reason.UNSUPPORTED_REPOSITORY, e.reason());
        assertTrue(e.getMessage().contains("model.safetensors"), e.getMessage());
    }

    @Test
    void unreachableHubFailsAsNetworkError() throws Exception {
        int freePort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            freePort = socket.getLocalPort();
        }
        ModelResolver resolver = ModelResolver.builder().environment(Map.of()).cacheDir(cache)
                .endpoint(URI.create("http://127.0.0.1:" + freePort)).maxRetries(0).build();

        ModelResolutionException e = assertThrows(ModelResolutionException.class, () -> resolver.resolve(REPO));

        assertEquals(ModelResolutionException.Reason.NETWORK, e.reason());
        assertTrue(e.getMessage().contains("127.0.0.1:" + freePort), e.getMessage());
        assertTrue(e.getMessage().contains(REPO), e.getMessage());
    }

    @Test
    void serverDyingMidwayLeavesNoCompleteLookingSnapshot() throws Exception {
        FakeHub.Repo repo = hub.addGpt2Like(REPO, COMMIT);
        hub.truncateCdnResponses.set(1);

        ModelResolutionException e = assertThrows(ModelResolutionException.class, () -> resolver().resolve(REPO));

        assertEquals(ModelResolutionException.Reason.NETWORK, e.reason());
        assertFalse(Files.exists(repoDir(REPO).resolve("refs/main")));
        Path snapshot = repoDir(REPO).resolve("snapshots").resolve(COMMIT);
        assertFalse(Files.exists(snapshot.resolve("model.safetensors")));
        assertFalse(Files.exists(repoDir(REPO).resolve("blobs")
                .resolve(FakeHub.sha256(repo.files.get("model.safetensors")))));
        ModelResolver offline = ModelResolver.builder().environment(Map.of()).cacheDir(cache).offline(true).build();
        assertEquals(ModelResolutionException.Reason.NOT_CACHED_OFFLINE,
                assertThrows(ModelResolutionException.class, () -> offline.resolve(REPO)).reason());
        assertEquals(ModelResolutionException.Reason.NOT_CACHED_OFFLINE,
                assertThrows(ModelResolutionException.class, () -> offline.resolve(REPO + "@" + COMMIT)).reason());
    }

    @Test
    void stalledTransferFailsAfterTheTimeout() {
        hub.addGpt2Like(REPO, COMMIT);
        hub.stallCdnResponses.set(1);
        Map<String, String> env = Map.of("HF_HUB_CACHE", cache.toString(), "HF_ENDPOINT", hub.endpoint().toString());
        ModelResolver resolver = ModelResolver.builder().environment(env).maxRetries(0).progressBars(false)
                .timeout(Duration.ofMillis(300)).build();

        ModelResolutionException e = assertTimeoutPreemptively(Duration.ofSeconds(20),
                () -> assertThrows(ModelResolutionException.class, () -> resolver.resolve(REPO)));

        assertEquals(ModelResolutionException.Reason.NETWORK, e.reason());
        assertTrue(e.getMessage().contains("no data for 300 ms"), e.getMessage());
        assertFalse(Files.exists(repoDir(REPO).resolve("refs/main")));
    }

    @Test
    void interruptedDownloadResumesWithARangeRequest() throws Exception {
        FakeHub.Repo repo = hub.addGpt2Like(REPO, COMMIT);
        byte[] weights = repo.files.get("model.safetensors");
        hub.truncateCdnResponses.set(1);
        assertThrows(ModelResolutionException.class, () -> resolver().resolve(REPO));

        Path snapshot = resolver().resolve(REPO);

        assertArrayEquals(weights, Files.readAllBytes(snapshot.resolve("model.safetensors")));
        List<FakeHub.Request> cdn = hub.requests.stream().filter(r -> r.server.equals("cdn"))
                .collect(Collectors.toList());
        assertEquals(2, cdn.size(), hub.requests.toString());
        assertNull(cdn.get(0).range);
        String range = cdn.get(1).range;
        assertTrue(range != null && range.matches("bytes=\\d+-"), String.valueOf(range));
        long resumedAt = Long.parseLong(range.substring(6, range.length() - 1));
        assertTrue(resumedAt > 0 && resumedAt <= weights.length / 2, range); // what arrived before the cut
    }

    @Test
    void retriesResumeWithinOneResolve() throws Exception {
        FakeHub.Repo repo = hub.addGpt2Like(REPO, COMMIT);
        hub.truncateCdnResponses.set(1);
        Map<String, String> env = Map.of("HF_HUB_CACHE", cache.toString(), "HF_ENDPOINT", hub.endpoint().toString());
        ModelResolver resolver = ModelResolver.builder().environment(env).maxRetries(2).build();

        Path snapshot = resolver.resolve(REPO);

        assertArrayEquals(repo.files.get("model.safetensors"), Files.readAllBytes(snapshot.resolve("model.safetensors")));
    }
}
