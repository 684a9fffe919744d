package io.steer4j.djl.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A local folder's shard index is held to the hub download's rule: shards live inside the folder. */
class WeightStoreShardNameTest {

    @TempDir
    Path tmp;

    /** A model folder whose index lists {@code shard}, and a valid-looking file at the place it points to. */
    private Path folderListing(String shard, Path elsewhere) throws IOException {
        Path model = Files.createDirectories(tmp.resolve("a/b/c/model"));
        Files.createDirectories(elsewhere.getParent());
        Files.write(elsewhere, new byte[] {2, 0, 0, 0, 0, 0, 0, 0, '{', '}'}); // an empty safetensors file
        String json = "{\"weight_map\": {\"wte.weight\": \"" + shard + "\"}}";
        Files.writeString(model.resolve("model.safetensors.index.json"), json);
        return model;
    }

    private String refusal(String shard, Path elsewhere) throws IOException {
        Path model = folderListing(shard, elsewhere);
        ModelLoadException e = assertThrows(ModelLoadException.class,
                () -> new WeightStore(model, List.of(""), Precision.FLOAT32).close());
        return e.getMessage();
    }

    @Test
    void shardOutsideTheFolderByDotDotIsRefused() throws IOException {
        String message = refusal("../../../elsewhere/x.safetensors", tmp.resolve("a/elsewhere/x.safetensors"));

        assertTrue(message.contains("not a relative file name inside the model folder"), message);
    }

    @Test
    void shardGivenAsAnAbsolutePathIsRefused() throws IOException {
        Path elsewhere = tmp.resolve("abs/x.safetensors");

        String message = refusal(elsewhere.toString(), elsewhere);

        assertTrue(message.contains("not a relative file name"), message);
    }

    @Test
    void shardNameWithANulIsRefusedAsAModelErrorWithoutTheRawCharacter() throws IOException {
        String message = refusal("x\\u0000.safetensors", tmp.resolve("unused/x.safetensors"));

        assertTrue(message.contains("\\u0000") && message.contains("not a relative file name"), message);
        assertFalse(message.contains("\0"), message);
    }
}
