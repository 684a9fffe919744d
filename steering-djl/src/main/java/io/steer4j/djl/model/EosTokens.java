package io.steer4j.djl.model;

import io.steer4j.core.format.UntrustedJson;
import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The end-of-sequence ids that stop generation, read as Hugging Face generation reads them: {@code eos_token_id}
 * of {@code generation_config.json} when that file gives one, else of {@code config.json}; an int or a list.
 * Many models list several there (Llama 3's end-of-turn ids; stories260k's {@code [2, 1]}, since it ends a story
 * by starting the next with BOS), and a generator that knew only the first would run on past them.
 */
final class EosTokens {

    private EosTokens() {
    }

    /**
     * The stop ids of a model folder, in file order; empty when neither file names one.
     *
     * @throws ModelLoadException when generation_config.json is not JSON or an id is not a non-negative integer
     */
    static Set<Long> read(Path folder) {
        Path gen = folder.resolve("generation_config.json");
        if (Files.isRegularFile(gen)) {
            Set<Long> ids = ids(readJson(gen).get("eos_token_id"), gen);
            if (!ids.isEmpty()) {
                return ids;
            }
        }
        Path config = folder.resolve("config.json");
        return Files.isRegularFile(config) ? ids(readJson(config).get("eos_token_id"), config) : Set.of();
    }

    private static JsonNode readJson(Path file) {
        try {
            return UntrustedJson.read(file);
        } catch (IOException e) {
            throw new ModelLoadException(e.getMessage(), e);
        }
    }

    private static Set<Long> ids(JsonNode eos, Path file) {
        Set<Long> out = new LinkedHashSet<>();
        if (eos == null || eos.isNull()) {
            return out;
        }
        if (eos.isArray()) {
            for (JsonNode n : eos) {
                out.add(id(n, file));
            }
        } else {
            out.add(id(eos, file));
        }
        return Set.copyOf(out);
    }

    private static long id(JsonNode n, Path file) {
        if (!n.isIntegralNumber() || n.asLong() < 0) {
            throw new ModelLoadException(file + ": eos_token_id must be a non-negative integer or a list of them, got "
                    + n);
        }
        return n.asLong();
    }
}
