package io.steer4j.djl;

import io.steer4j.djl.model.LanguageModel;
import io.steer4j.fixtures.TinyCheckpoints;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Test helper: the tiny random GPT-2 written once per JVM into a temp folder. */
public final class TinyModels {
    private static Path gpt2Dir;

    private TinyModels() {
    }

    public static synchronized Path gpt2Dir() {
        if (gpt2Dir == null) {
            try {
                Path dir = Files.createTempDirectory("steer4j-tiny");
                gpt2Dir = TinyCheckpoints.gpt2(dir.resolve("gpt2-tiny"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return gpt2Dir;
    }

    public static LanguageModel loadGpt2() {
        return LanguageModel.load(gpt2Dir());
    }
}
