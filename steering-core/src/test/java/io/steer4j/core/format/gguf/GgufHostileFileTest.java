package io.steer4j.core.format.gguf;

import io.steer4j.core.format.AllocationMeter;
import io.steer4j.core.format.VectorFileFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Crafted GGUF files cost memory bounded by their real size and fail with the documented exception. */
class GgufHostileFileTest {
    private static final int F32 = 0;
    private static final int HIDDEN = 1 << 20; // 4 MiB of F32 per tensor

    @TempDir
    Path dir;

    /** {@code tensors} tensors of 4 MiB each, all declared at data offset 0 over one 4 MiB data section. */
    private Path overlapping(int tensors) throws IOException {
        GgufBytes b = new GgufBytes().header(3, tensors, 0);
        for (int t = 1; t <= tensors; t++) {
            b.tensorInfo("direction." + t, F32, 0, HIDDEN);
        }
        b.padTo(32);
        Path p = dir.resolve("overlap.gguf");
        byte[] header = b.bytes();
        Files.write(p, header);
        Files.write(p, new byte[4 * HIDDEN], java.nio.file.StandardOpenOption.APPEND);
        return p;
    }

    @Test
    void tensorsSharingOneDataRegionAreRefusedWithinASmallMultipleOfTheFileSize() throws IOException {
        Path p = overlapping(2_000); // asked for ~8 GB before offsets were checked
        long size = Files.size(p);

        AllocationMeter.Cost cost = AllocationMeter.measure(() -> GgufControlVector.read(p));

        System.out.printf("overlapping GGUF of %d bytes: %d bytes allocated%n", size, cost.allocatedBytes());
        VectorFileFormatException e = assertInstanceOf(VectorFileFormatException.class, cost.thrown());
        assertTrue(e.getMessage().contains("direction.2") && e.getMessage().contains("previous tensors end at"),
                e.getMessage());
        assertTrue(cost.allocatedBytes() < 3 * size, cost.allocatedBytes() + " bytes allocated for " + size);
    }

    @Test
    void aGapBetweenTensorsIsRefused() throws IOException {
        GgufBytes b = new GgufBytes().header(3, 2, 0)
                .tensorInfo("direction.1", F32, 0, 2)
                .tensorInfo("direction.2", F32, 64, 2)
                .padTo(32);
        b.f32(1, 2).padTo(32).padTo(64).f32(3, 4);
        Path p = dir.resolve("gap.gguf");
        Files.write(p, b.bytes());

        VectorFileFormatException e = org.junit.jupiter.api.Assertions.assertThrows(VectorFileFormatException.class,
                () -> GgufControlVector.read(p));

        assertTrue(e.getMessage().contains("offset 64 but the previous tensors end at 32"), e.getMessage());
    }

    @Test
    void aLegalFourMegabyteVectorCostsAboutItsSize() throws IOException {
        GgufBytes b = new GgufBytes().header(3, 1, 0).tensorInfo("direction.1", F32, 0, HIDDEN).padTo(32);
        Path p = dir.resolve("legal.gguf");
        Files.write(p, b.bytes());
        Files.write(p, new byte[4 * HIDDEN], java.nio.file.StandardOpenOption.APPEND);
        long size = Files.size(p);

        AllocationMeter.Cost cost = AllocationMeter.measure(() -> GgufControlVector.read(p));

        assertEquals(null, cost.thrown());
        assertTrue(cost.allocatedBytes() < 4 * size, cost.allocatedBytes() + " bytes allocated for " + size);
    }
}
