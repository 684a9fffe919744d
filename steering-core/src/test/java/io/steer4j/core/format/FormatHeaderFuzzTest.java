package io.steer4j.core.format;

import io.steer4j.core.format.gguf.GgufControlVector;
import io.steer4j.core.format.safetensors.SafetensorsFormatException;
import io.steer4j.core.format.vectorfile.VectorFiles;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.core.vector.VectorMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Issue 27: mutated GGUF and safetensors headers, for a fixed time budget each, give a vector or the format's own
 * exception naming the file, never another exception, a message past {@link MessageLimit#MAX_CHARS}, or more than
 * {@link #MAX_ALLOCATED} bytes allocated by one read.
 */
class FormatHeaderFuzzTest {
    /** A fixed number of cases, so the outcome does not depend on the machine's speed; the time cap bounds a slow one. */
    private static final int CASES = 2500;
    private static final long BUDGET_NANOS = 20_000_000_000L;
    private static final long MAX_ALLOCATED = 64L << 20;

    @TempDir
    Path dir;

    private static SteeringVector sample() {
        Map<Integer, float[]> d = new HashMap<>();
        for (int layer = 1; layer <= 4; layer++) {
            float[] v = new float[64];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) Math.sin(layer * 31 + i);
            }
            d.put(layer, v);
        }
        return new SteeringVector(d, VectorMetadata.builder().modelId("org/model").hiddenSize(64).method("pca_diff")
                .datasetSize(10).build());
    }

    @Test
    void mutatedGgufHeadersGiveAVectorOrAFormatError() throws IOException {
        Path good = dir.resolve("good.gguf");
        GgufControlVector.write(sample(), good);
        byte[] bytes = Files.readAllBytes(good);
        // the header ends where the data section starts: everything but the 4 x 64 floats
        fuzz("gguf", bytes, bytes.length - 4 * 64 * 4, 1);
    }

    @Test
    void mutatedSafetensorsHeadersGiveAVectorOrAFormatError() throws IOException {
        Path good = dir.resolve("good.safetensors");
        VectorFiles.write(sample(), good);
        byte[] bytes = Files.readAllBytes(good);
        long headerLength = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        fuzz("safetensors", bytes, (int) (8 + headerLength), 2);
    }

    private void fuzz(String extension, byte[] good, int headerBytes, long seed) throws IOException {
        seed = Long.getLong("steer4j.fuzz.seed", seed); // another seed explores other files; CI keeps the fixed one
        HeaderMutator mutator = new HeaderMutator(seed);
        Path file = dir.resolve("fuzz." + extension);
        long end = System.nanoTime() + BUDGET_NANOS;
        int cases = 0;
        int refused = 0;
        long worst = 0;
        while (cases < CASES && System.nanoTime() < end) {
            byte[] mutated = mutator.mutate(good, headerBytes);
            Files.write(file, mutated);
            AllocationMeter.Cost cost = AllocationMeter.measure(() -> VectorFiles.read(file));
            cases++;
            worst = Math.max(worst, cost.allocatedBytes());
            Throwable t = cost.thrown();
            if (t != null && !(t instanceof VectorFileFormatException || t instanceof SafetensorsFormatException)) {
                fail("case " + cases + " (seed " + seed + "): " + t, t);
            }
            if (t != null) {
                refused++;
                assertTrue(t.getMessage().contains(file.toString()), t.getMessage());
                assertTrue(t.getMessage().length() <= MessageLimit.MAX_CHARS + 64, t.getMessage().length() + " chars");
            }
            assertTrue(cost.allocatedBytes() < MAX_ALLOCATED,
                    "case " + cases + " (seed " + seed + ") allocated " + cost.allocatedBytes() + " bytes");
        }
        System.out.printf("%s header fuzz: %d cases, %d refused, worst allocation %d bytes%n", extension, cases,
                refused, worst);
        assertTrue(cases > 100, "only " + cases + " cases ran");
    }
}
