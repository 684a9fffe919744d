package io.steer4j.djl.tokenizer;

import io.steer4j.djl.RealModels;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Test helper: the real tokenizers of {@code ../shared/models}, ready to load. */
final class RealTokenizerFolders {
    private RealTokenizerFolders() {
    }

    /** stories260k's folder (SentencePiece BPE with byte fallback, BOS by its post-processor), or skips loudly. */
    static Path stories260k() {
        return RealModels.require("stories260k");
    }

    /**
     * GPT-2's vocab.json + merges.txt copied into {@code dir}, or skips loudly when the folder is absent.
     *
     * <p>The shared copy of merges.txt (from huplay/gpt2-demo) has four lines mangled by an IDE refactoring in that
     * repository ({@code Run ning} became {@code ai.learn.gpt2.Main ning}, {@code Config uration} became
     * {@code ai.learn.gpt2.Config uration}), which the tokenizers library rejects; the copy restores them. Each
     * restored merge's parts and result are GPT-2 vocabulary entries ({@code Running}, {@code Configuration},
     * {@code Runtime}, {@code Runner}), and nothing else is changed.
     */
    static Path gpt2(Path dir) throws IOException {
        Path src = RealModels.require("gpt2-tokenizer", "vocab.json");
        Files.copy(src.resolve("vocab.json"), dir.resolve("vocab.json"));
        List<String> lines = Files.readAllLines(src.resolve("merges.txt"), StandardCharsets.UTF_8);
        List<String> fixed = lines.stream()
                .map(l -> l.replace("ai.learn.gpt2.Main ", "Run ").replace("ai.learn.gpt2.Config ", "Config "))
                .toList();
        Files.write(dir.resolve("merges.txt"), fixed, StandardCharsets.UTF_8);
        return dir;
    }
}
