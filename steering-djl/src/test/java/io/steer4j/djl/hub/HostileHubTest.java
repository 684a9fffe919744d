package io.steer4j.djl.hub;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static io.steer4j.djl.hub.CacheFixture.COMMIT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A hub and "CDN" on loopback that misbehave as a hostile or broken mirror would, and a concurrent writer that
 * behaves as Python's {@code huggingface_hub} does: steer4j stores only verified files and fails with
 * {@link ModelResolutionException} reasons that fit the cause.
 */
class HostileHubTest {

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

    private ModelResolver resolver(UnaryOperator<ModelResolver.Builder> configure, Map<String, String> extraEnv) {
        return configure.apply(hub.resolverBuilder(cache, tmp.resolve("home"), extraEnv)).build();
    }

    private ModelResolver resolver() {
        return resolver(b -> b, Map.of());
    }

    private Path blobs() {
        return cache.resolve(RepoRef.folderName(REPO)).resolve("blobs");
    }

    private ModelResolutionException refused(ModelResolver resolver) {
        return assertTimeoutPreemptively(Duration.ofSeconds(30),
                () -> assertThrows(ModelResolutionException.class, () -> resolver.resolve(REPO)));
    }

    /** Blob files present, temporary files included. */
    private List<String> blobFiles() throws IOException {
        if (!Files.isDirectory(blobs())) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(blobs())) {
            return files.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    @Test
    void concurrentHuggingFaceHubWriterCannotCorruptTheBlob() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "needs python3 for the flock-based writer");
        FakeHub.Repo repo = hub.addGpt2Like(REPO, COMMIT);
        byte[] weights = repo.files.get("model.safetensors");
        String sha = FakeHub.sha256(weights);
        // Python got a third of the blob earlier and is now resuming it, holding its etag lock.
        Files.createDirectories(blobs());
        Path incomplete = blobs().resolve(sha + ".incomplete");
        Files.write(incomplete, Arrays.copyOf(weights, weights.length / 3));
        Path content = Files.write(tmp.resolve("content.bin"), weights);
        Path script = tmp.resolve("hf_style_writer.py");
        try (InputStream in = getClass().getResourceAsStream("hf_style_writer.py")) {
            Files.copy(in, script);
        }
        Path lock = cache.resolve(".locks").resolve(RepoRef.folderName(REPO)).resolve(sha + ".lock");
        Process python = new ProcessBuilder("/usr/bin/python3", script.toString(), lock.toString(),
                incomplete.toString(), blobs().resolve(sha).toString(), content.toString())
                .redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(python.getInputStream(),
                    StandardCharsets.UTF_8));
            assertEquals("locked", out.readLine());

            Path snapshot = resolver().resolve(REPO); // while Python is still appending

            assertArrayEquals(weights, Files.readAllBytes(snapshot.resolve("model.safetensors")));
            assertTrue(python.waitFor(30, TimeUnit.SECONDS), "python writer did not finish");
            assertEquals("done", out.readLine());
            assertArrayEquals(weights, Files.readAllBytes(blobs().resolve(sha)));
            assertTrue(hub.requests.stream().noneMatch(r -> r.range != null), hub.requests.toString());
        } finally {
            python.destroyForcibly();
        }
    }

    @Test
    void twoSteer4jProcessesShareOneDownload() throws Exception {
        FakeHub.Repo repo = hub.addGpt2Like(REPO, COMMIT);
        byte[] weights = repo.files.get("model.safetensors");
        hub.cdnChunkDelayMillis = 20; // long enough a transfer for the two to overlap
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process other = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                ResolveInAnotherProcess.class.getName(), cache.toString(), hub.endpoint().toString(), REPO)
                .redirectErrorStream(true).start();
        try {
            Path snapshot = resolver().resolve(REPO);

            assertTrue(other.waitFor(60, TimeUnit.SECONDS), "the other process did not finish");
            String printed = new String(other.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, other.exitValue(), printed);
            assertTrue(printed.strip().endsWith(snapshot.toString()), printed);
            assertArrayEquals(weights, Files.readAllBytes(snapshot.resolve("model.safetensors")));
            assertEquals(1, hub.requests.stream().filter(r -> r.server.equals("cdn")).count(), hub.requests.toString());
            assertTrue(blobFiles().stream().noneMatch(f -> f.contains("incomplete")), blobFiles().toString());
        } finally {
            other.destroyForcibly();
        }
    }

    @Test
    void bodyLongerThanDeclaredIsCutOffAtTheDeclaredSize() throws IOException {
        FakeHub.Repo repo = hub.addGpt2Like(REPO, COMMIT);
        repo.lfsFile("model.safetensors", FakeHub.randomBytes(40 << 20, 3));
        repo.declaredSizes.put("model.safetensors", 5_000L);

        ModelResolutionException e = refused(resolver());

        assertEquals(ModelResolutionException.Reason.UNSAFE_RESPONSE, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains("sent more than its declared 5000 bytes"), e.getMessage());
        assertTrue(hub.cdnBytesSent.get() < (40 << 20), hub.cdnBytesSent.get() + " bytes sent");
        assertTrue(blobFiles().stream().noneMatch(f -> f.contains("incomplete") || f.length() == 64), blobFiles().toString());
    }

    @Test
    void weightsWithNoDeclaredSizeAreRefused() throws IOException {
        FakeHub.Repo repo = hub.addGpt2Like(REPO, COMMIT);
        repo.lfs.remove("model.safetensors");
        repo.chunked.add("model.safetensors");

        ModelResolutionException e = refused(resolver());

        assertEquals(ModelResolutionException.Reason.UNSAFE_RESPONSE, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains("no declared size"), e.getMessage());
        assertFalse(Files.exists(cache.resolve(RepoRef.folderName(REPO)).resolve("snapshots").resolve(COMMIT)
                .resolve("model.safetensors")));
    }

    @Test
    void partialFileOfAMirrorWithoutSha256EtagsIsNotResumed() throws IOException {
        FakeHub.Repo repo = hub.addGpt2Like(REPO, COMMIT);
        repo.mirrorEtags = true;
        byte[] weights = repo.files.get("model.safetensors");
        String etag = "v1-" + FakeHub.sha256(weights).substring(0, 8);
        Files.createDirectories(blobs());
        byte[] otherVersion = FakeHub.randomBytes(weights.length / 2, 99); // left by a download of an older upload
        Files.write(blobs().resolve(etag + ".incomplete"), otherVersion);
        Files.write(blobs().resolve(etag + ".steer4j.incomplete"), otherVersion);

        Path snapshot = resolver().resolve(REPO);

        assertArrayEquals(weights, Files.readAllBytes(snapshot.resolve("model.safetensors")));
        assertTrue(hub.requests.stream().noneMatch(r -> r.range != null), hub.requests.toString());
    }

    @Test
    void partialDownloadResumesWhenTheHubAnswersAPlain200() throws IOException {
        FakeHub.Repo repo = hub.addGpt2Like(REPO, COMMIT);
        repo.direct = true; // a mirror serving LFS files itself
        byte[] weights = repo.files.get("model.safetensors");
        String sha = FakeHub.sha256(weights);
        Files.createDirectories(blobs());
        Files.write(blobs().resolve(sha + ".steer4j.incomplete"), Arrays.copyOf(weights, weights.length / 2));

        Path snapshot = resolver().resolve(REPO);

        assertArrayEquals(weights, Files.readAllBytes(snapshot.resolve("model.safetensors")));
        List<FakeHub.Request> ranged = hub.requests.stream().filter(r -> r.range != null).collect(Collectors.toList());
        assertEquals(1, ranged.size(), hub.requests.toString());
        assertEquals("bytes=" + weights.length / 2 + "-", ranged.get(0).range);
    }

    @Test
    void redirectToAFileUrlIsRefusedAsUnsafe() {
        hub.addGpt2Like(REPO, COMMIT).redirects.put("model.safetensors", "file:///etc/passwd");

        ModelResolutionException e = refused(resolver());

        assertEquals(ModelResolutionException.Reason.UNSAFE_RESPONSE, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains("not an http(s) URL"), e.getMessage());
    }

    @Test
    void malformedRedirectIsRefusedAsUnsafe() {
        hub.addGpt2Like(REPO, COMMIT).redirects.put("model.safetensors", "http://[::1/x y");

        ModelResolutionException e = refused(resolver());

        assertEquals(ModelResolutionException.Reason.UNSAFE_RESPONSE, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains("malformed Location"), e.getMessage());
    }

    @Test
    void redirectFromHttpsToHttpIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HubEndpoint.redirectTarget(
                URI.create("https://huggingface.co/gpt2/resolve/main/model.safetensors"),
                "http://cdn.example/blob"));

        assertTrue(e.getMessage().contains("downgrades https to http"), e.getMessage());
    }

    @Test
    void redirectFromHttpsToHttpsElsewhereIsFollowed() {
        URI to = HubEndpoint.redirectTarget(URI.create("https://huggingface.co/gpt2/resolve/main/x"),
                "https://cdn-lfs.example/blob?sig=1");

        assertEquals(URI.create("https://cdn-lfs.example/blob?sig=1"), to);
    }

    @Test
    void tricklingServerFailsOnTheMinimumThroughput() {
        hub.addGpt2Like(REPO, COMMIT);
        hub.trickleCdnResponses.set(1); // 50 bytes/s: never silent long enough to count as stalled

        ModelResolutionException e = refused(resolver(b -> b.timeout(Duration.ofMillis(400)), Map.of()));

        assertEquals(ModelResolutionException.Reason.NETWORK, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains("below the minimum of 8192 bytes/s"), e.getMessage());
    }

    @Test
    void steadyButEndlessTransferFailsAtTheFileDeadline() {
        hub.addGpt2Like(REPO, COMMIT);
        hub.cdnChunkDelayMillis = 100; // 640 KiB/s: fast enough, but 2.5 MiB takes 4 s

        ModelResolutionException e = refused(resolver(b -> b.fileDeadline(Duration.ofSeconds(1)), Map.of()));

        assertEquals(ModelResolutionException.Reason.NETWORK, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains("per-file deadline of 1 s"), e.getMessage());
    }

    @Test
    void tokenWithALineBreakIsRefusedBeforeAnyRequestWithoutEchoingIt() {
        hub.addGpt2Like(REPO, COMMIT);
        String token = "hf_SeCrEt123\r\nX-Injected: 1";

        ModelResolutionException e = refused(resolver(b -> b, Map.of("HF_TOKEN", token)));

        assertEquals(ModelResolutionException.Reason.INVALID_TOKEN, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains("HF_TOKEN") && e.getMessage().contains("position 13"), e.getMessage());
        assertFalse(e.getMessage().contains("SeCrEt") || e.getMessage().contains("Injected"), e.getMessage());
        assertTrue(hub.requests.isEmpty(), hub.requests.toString());
    }

    @Test
    void shardNameLeavingTheSnapshotIsAnUnsafeResponseNotADiskProblem() {
        String index = "{\"weight_map\": {\"wte.weight\": \"../../escape.safetensors\"}}";
        FakeHub.Repo repo = hub.addGpt2Like(REPO, COMMIT);
        repo.files.remove("model.safetensors");
        repo.lfs.remove("model.safetensors");
        repo.file("model.safetensors.index.json", index.getBytes(StandardCharsets.UTF_8));

        ModelResolutionException e = refused(resolver());

        assertEquals(ModelResolutionException.Reason.UNSAFE_RESPONSE, e.reason(), e.getMessage());
        assertFalse(e.getMessage().contains("free space"), e.getMessage());
    }

    @Test
    void deeplyNestedShardIndexIsAnUnsafeResponseNotADiskProblem() {
        String index = "{\"weight_map\": " + "[".repeat(100_000);
        FakeHub.Repo repo = hub.addGpt2Like(REPO, COMMIT);
        repo.files.remove("model.safetensors");
        repo.lfs.remove("model.safetensors");
        repo.file("model.safetensors.index.json", index.getBytes(StandardCharsets.UTF_8));

        ModelResolutionException e = refused(resolver());

        assertEquals(ModelResolutionException.Reason.UNSAFE_RESPONSE, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains("not valid JSON") && e.getMessage().contains("nesting depth"),
                e.getMessage());
    }

    @Test
    void shardNameWithANulIsAnUnsafeResponse() {
        String index = "{\"weight_map\": {\"wte.weight\": \"a\\u0000.safetensors\"}}";
        FakeHub.Repo repo = hub.addGpt2Like(REPO, COMMIT);
        repo.files.remove("model.safetensors");
        repo.lfs.remove("model.safetensors");
        repo.file("model.safetensors.index.json", index.getBytes(StandardCharsets.UTF_8));

        ModelResolutionException e = refused(resolver());

        assertEquals(ModelResolutionException.Reason.UNSAFE_RESPONSE, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains("\\u0000"), e.getMessage());
        assertNull(e.getMessage().chars().filter(c -> c == 0).boxed().findFirst().orElse(null));
        assertNotNull(e.modelRef());
    }
}
