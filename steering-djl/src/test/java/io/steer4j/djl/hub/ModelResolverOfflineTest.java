package io.steer4j.djl.hub;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelResolverOfflineTest {

    @TempDir
    Path tmp;

    @Test
    void offlineEnvironmentRefusesNamingIdCacheAndFix() throws Exception {
        Path cache = tmp.resolve("hub-cache");
        try (FakeHub hub = new FakeHub()) {
            hub.addGpt2Like("openai-community/gpt2", CacheFixture.COMMIT);
            ModelResolver resolver = ModelResolver.builder()
                    .environment(Map.of("HF_HUB_OFFLINE", "1", "HF_HUB_CACHE", cache.toString(),
                            "HF_ENDPOINT", hub.endpoint().toString()))
                    .userHome(tmp).build();

            ModelResolutionException e = assertThrows(ModelResolutionException.class, () -> resolver.resolve("gpt2"));

            assertEquals(ModelResolutionException.Reason.NOT_CACHED_OFFLINE, e.reason());
            assertEquals("gpt2", e.modelRef());
            String message = e.getMessage();
            assertTrue(message.contains("'gpt2'"), message);
            assertTrue(message.contains("HF_HUB_OFFLINE=1"), message);
            assertTrue(message.contains(cache.resolve("models--gpt2").toString()), message);
            assertTrue(message.contains(cache.resolve("models--openai-community--gpt2").toString()), message);
            assertTrue(message.contains("huggingface-cli download openai-community/gpt2"), message);
            assertTrue(message.contains("local model folder"), message);
            assertEquals(0, hub.requests.size(), "offline mode must not touch the network");
        }
    }

    @Test
    void builderOfflineRefusesEvenWhenEnvironmentIsOnline() {
        ModelResolver resolver = ModelResolver.builder().environment(Map.of("HF_HUB_OFFLINE", "0"))
                .cacheDir(tmp).offline(true).build();

        ModelResolutionException e = assertThrows(ModelResolutionException.class,
                () -> resolver.resolve("org/model@v2"));

        assertEquals(ModelResolutionException.Reason.NOT_CACHED_OFFLINE, e.reason());
        assertTrue(e.getMessage().contains("offline(true)"), e.getMessage());
        assertTrue(e.getMessage().contains("--revision v2"), e.getMessage());
    }
}
