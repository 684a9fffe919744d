package io.steer4j.djl.tokenizer;

import io.steer4j.djl.RealModels;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Test helper: the real tokenizers of {@code ../shared/models}, ready to load. */
final class RealTokenizerFolders {
    private RealTokenizerFolders() {
    }

    /** stories260k's folder (SentencePiece BPE with byte fallback, BOS by its post-processor), or skips loudly. */
    static Path stories260k() {
        return RealModels.require("stories260k");
    }

    /**
     * GPT-2's vocab.json + merges.txt copied into {@code dir}, or skips loudly when the folder is absent. The shared
     * copy is used as it is: its README documents the four merges it restored at the source, with the files' hashes.
     */
    static Path gpt2(Path dir) throws IOException {
        Path src = RealModels.require("gpt2-tokenizer", "vocab.json");
        Files.copy(src.resolve("vocab.json"), dir.resolve("vocab.json"));
        Files.copy(src.resolve("merges.txt"), dir.resolve("merges.txt"));
        return dir;
    }
}
