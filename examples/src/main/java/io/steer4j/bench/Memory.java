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
        return status("VmRSS:");
    }

    /** The process's peak resident set so far (Linux {@code VmHWM}), or -1. */
    static long peakRssBytes() {
        return status("VmHWM:");
    }

    private static long status(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(field)) {
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

    /** Heap the JVM has committed (resident or not); RSS minus this approximates native memory. */
    static long heapCommittedBytes() {
        return Runtime.getRuntime().totalMemory();
    }

    /**
     * Bytes of the weights one decode step must stream (4 per parameter, 2 in float16): every block matrix and bias, the norms and the LM
     * head (read in full), but only one row of each embedding table. Counts gated MLPs (Llama) as three matrices
     * and grouped-query key/value projections at their real size.
     */
    static long weightBytesPerToken(LanguageModel lm) {
        ModelConfig c = lm.config();
        long d = c.hiddenSize();
        long inner = c.intermediateSize();
        long q = (long) c.numHeads() * c.headDim();
        long kv = (long) c.numKvHeads() * c.headDim();
        boolean gated = !c.modelType().equals("gpt2") && !c.modelType().equals("gpt_neox");
        long attn = d * (q + 2 * kv) + q * d + (c.qkvBias() ? q + 2 * kv : 0) + (c.outputBias() ? d : 0);
        long mlp = (gated ? 3 : 2) * d * inner + (c.mlpBias() ? inner + d : 0);
        long norms = 4 * d;
        long params = c.numLayers() * (attn + mlp + norms) + 2 * d + (long) c.vocabSize() * d + 2 * d;
        return params * (lm.precision() == io.steer4j.djl.model.Precision.FLOAT16 ? 2 : 4);
    }
}
