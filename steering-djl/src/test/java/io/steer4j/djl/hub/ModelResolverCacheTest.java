package io.steer4j.djl.hub;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static io.steer4j.djl.hub.CacheFixture.COMMIT;
import static io.steer4j.djl.hub.CacheFixture.OTHER_COMMIT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Cache location (environment precedence), layout lookup, revisions, aliases and completeness. */
class ModelResolverCacheTest {

    @TempDir
    Path tmp;

    private ModelResolver offline(Map<String, String> env) {
        return ModelResolver.builder().environment(env).userHome(tmp.resolve("home")).offline(true).build();
    }

    private ModelResolver offlineWithCache(Path cache) {
        return ModelResolver.builder().environment(Map.of()).userHome(tmp.resolve("home")).cacheDir(cache)
                .offline(true).build();
    }

    @Test
    void hfHubCacheTakesPrecedenceOverHfHome() throws Exception {
        Path hubCache = tmp.resolve("hub-cache");
        Path expected = CacheFixture.completeSnapshot(hubCache, "openai-community/gpt2", "main", COMMIT);
        CacheFixture.completeSnapshot(tmp.resolve("hf-home").resolve("hub"), "openai-community/gpt2", "main",
                OTHER_COMMIT);

        ModelResolver resolver = offline(Map.of("HF_HUB_CACHE", hubCache.toString(),
                "HF_HOME", tmp.resolve("hf-home").toString()));

        assertEquals(expected, resolver.resolve("openai-community/gpt2"));
    }

    @Test
    void hfHomeHubIsUsedWithoutHfHubCache() throws Exception {
        Path expected = CacheFixture.completeSnapshot(tmp.resolve("hf-home").resolve("hub"), "openai-community/gpt2",
                "main", COMMIT);
        CacheFixture.completeSnapshot(tmp.resolve("home/.cache/huggingface/hub"), "openai-community/gpt2", "main",
                OTHER_COMMIT);

        ModelResolver resolver = offline(Map.of("HF_HOME", tmp.resolve("hf-home").toString()));

        assertEquals(expected, resolver.resolve("openai-community/gpt2"));
    }

    @Test
    void userHomeCacheIsTheDefault() throws Exception {
        Path expected = CacheFixture.completeSnapshot(tmp.resolve("home/.cache/huggingface/hub"),
                "openai-community/gpt2", "main", COMMIT);

        ModelResolver resolver = offline(Map.of());

        assertEquals(tmp.resolve("home/.cache/huggingface/hub"), resolver.cacheDir());
        assertEquals(expected, resolver.resolve("openai-community/gpt2"));
    }

    @Test
    void builderCacheDirOverridesTheEnvironment() throws Exception {
        Path cache = tmp.resolve("explicit");
        Path expected = CacheFixture.completeSnapshot(cache, "openai-community/gpt2", "main", COMMIT);

        ModelResolver resolver = ModelResolver.builder().environment(Map.of("HF_HUB_CACHE", tmp.resolve("x").toString()))
                .cacheDir(cache).offline(true).build();

        assertEquals(expected, resolver.resolve("openai-community/gpt2"));
    }

    @Test
    void revisionSuffixFollowsItsRef() throws Exception {
        Path cache = tmp.resolve("cache");
        CacheFixture.completeSnapshot(cache, "org/model", "main", COMMIT);
        Path v1 = CacheFixture.completeSnapshot(cache, "org/model", "v1", OTHER_COMMIT);

        assertEquals(v1, offlineWithCache(cache).resolve("org/model@v1"));
    }

    @Test
    void revisionNameIsAcceptedAsSnapshotFolderWithoutRef() throws Exception {
        Path cache = tmp.resolve("cache");
        Path snapshot = CacheFixture.snapshotWith(cache, "org/model", "main",
                "config.json", "model.safetensors", "tokenizer.json");

        assertEquals(snapshot, offlineWithCache(cache).resolve("org/model"));
    }

    @Test
    void commitHashRevisionSelectsItsSnapshot() throws Exception {
        Path cache = tmp.resolve("cache");
        CacheFixture.completeSnapshot(cache, "org/model", "main", COMMIT);
        Path pinned = CacheFixture.snapshotWith(cache, "org/model", OTHER_COMMIT,
                "config.json", "model.safetensors", "tokenizer.json");

        assertEquals(pinned, offlineWithCache(cache).resolve("org/model@" + OTHER_COMMIT));
    }

    @Test
    void legacyIdFindsTheNamespacedCacheFolder() throws Exception {
        Path cache = tmp.resolve("cache");
        Path expected = CacheFixture.completeSnapshot(cache, "openai-community/gpt2", "main", COMMIT);

        assertEquals(expected, offlineWithCache(cache).resolve("gpt2"));
    }

    @Test
    void namespacedIdFindsTheLegacyCacheFolder() throws Exception {
        Path cache = tmp.resolve("cache");
        Path expected = CacheFixture.completeSnapshot(cache, "gpt2", "main", COMMIT);

        assertEquals(expected, offlineWithCache(cache).resolve("openai-community/gpt2"));
    }

    @Test
    void shardedIndexWithAllShardsAndVocabMergesIsComplete() throws Exception {
        Path cache = tmp.resolve("cache");
        Path snapshot = CacheFixture.snapshotWith(cache, "org/model", COMMIT, "config.json",
                "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", "vocab.json", "merges.txt");
        Files.writeString(snapshot.resolve("model.safetensors.index.json"), "{\"metadata\":{},\"weight_map\":{"
                + "\"a\":\"model-00001-of-00002.safetensors\",\"b\":\"model-00002-of-00002.safetensors\"}}");
        CacheFixture.writeRef(cache, "org/model", "main", COMMIT);

        assertEquals(snapshot, offlineWithCache(cache).resolve("org/model"));
    }

    @Test
    void snapshotMissingAShardIsIncomplete() throws Exception {
        Path cache = tmp.resolve("cache");
        Path snapshot = CacheFixture.snapshotWith(cache, "org/model", COMMIT, "config.json",
                "model-00001-of-00002.safetensors", "tokenizer.json");
        Files.writeString(snapshot.resolve("model.safetensors.index.json"), "{\"weight_map\":{"
                + "\"a\":\"model-00001-of-00002.safetensors\",\"b\":\"model-00002-of-00002.safetensors\"}}");
        CacheFixture.writeRef(cache, "org/model", "main", COMMIT);

        ModelResolutionException e = assertThrows(ModelResolutionException.class,
                () -> offlineWithCache(cache).resolve("org/model"));

        assertTrue(e.getMessage().contains("model-00002-of-00002.safetensors"), e.getMessage());
    }

    @Test
    void snapshotWithoutWeightsIsNotUsed() throws Exception {
        Path cache = tmp.resolve("cache");
        CacheFixture.snapshotWith(cache, "org/model", COMMIT, "config.json", "tokenizer.json");
        CacheFixture.writeRef(cache, "org/model", "main", COMMIT);

        ModelResolutionException e = assertThrows(ModelResolutionException.class,
                () -> offlineWithCache(cache).resolve("org/model"));

        assertEquals(ModelResolutionException.Reason.NOT_CACHED_OFFLINE, e.reason());
        assertTrue(e.getMessage().contains("lacks model.safetensors"), e.getMessage());
    }
}
