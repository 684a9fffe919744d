package io.steer4j.bench;

import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.model.ModelConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Process memory figures for benchmarks (Linux {@code /proc}), and the bytes of weights a decode step reads. */
final class Memory {
    private Memory() {
    }

    static long rssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    static long heapUsedBytes() {
        Runtime r = Runtime.getRuntime();
        return r.totalMemory() - r.freeMemory();
    }

    /**
     * Float32 bytes of the weights one decode step must stream: every block matrix and bias, the final norm and
     * the LM head (the tied embedding, read in full), but only one row of each embedding table.
     */
    static long weightBytesPerToken(LanguageModel lm) {
        ModelConfig c = lm.config();
        long d = c.hiddenSize();
        long inner = c.intermediateSize();
        long perBlock = 2 * d + 2 * d + (d * 3 * d + 3 * d) + (d * d + d) + (d * inner + inner) + (inner * d + d);
        long params = c.numLayers() * perBlock + 2 * d + (long) c.vocabSize() * d + 2 * d;
        return params * 4;
    }
}
