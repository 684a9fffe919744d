package io.steer4j.core.format.gguf;

import io.steer4j.core.format.AllocationMeter;
import io.steer4j.core.format.VectorFileFormatException;
import io.steer4j.core.vector.SteeringVector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 27 rows 5 and 8: a GGUF control vector costs what its header and tensors hold, not the file's length, and
 * metadata arrays are capped instead of boxed element by element.
 */
class GgufRealSizeTest {
    private static final int F32 = 0;
    private static final int INT16 = 3; // GGUF value type code

    @TempDir
    Path dir;

    @Test
    void aSparseTwoGigabyteFileWithOneSmallTensorCostsAboutTheTensor() throws IOException {
        GgufBytes b = new GgufBytes().header(3, 1, 1).kvString("general.architecture", "controlvector")
                .tensorInfo("direction.1", F32, 0, 64).padTo(32);
        for (int i = 0; i < 64; i++) {
            b.f32(i);
        }
        Path p = dir.resolve("sparse.gguf");
        Files.write(p, b.bytes());
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(2_100_000_000L); // a hole: the zeros after the tensor do not exist on disk
        }

        AllocationMeter.Cost cost = AllocationMeter.measure(() -> GgufControlVector.read(p));

        assertEquals(null, cost.thrown());
        assertTrue(cost.allocatedBytes() < (4 << 20), cost.allocatedBytes() + " bytes allocated");
        SteeringVector v = GgufControlVector.read(p);
        assertEquals(64, v.hiddenSize());
        assertEquals(63f, v.direction(1)[63]);
    }

    @Test
    void aFiftyMegabyteMetadataArrayIsRefusedWithoutBoxingIt() throws IOException {
        int elements = 25_000_000;
        GgufBytes b = new GgufBytes().header(3, 0, 1).str("tokenizer.ggml.token_type").u32(9).u32(INT16)
                .u64(elements);
        Path p = dir.resolve("array.gguf");
        Files.write(p, b.bytes());
        Files.write(p, new byte[2 * elements], StandardOpenOption.APPEND);

        AllocationMeter.Cost cost = AllocationMeter.measure(() -> GgufControlVector.read(p));

        VectorFileFormatException e = assertInstanceOf(VectorFileFormatException.class, cost.thrown());
        assertTrue(e.getMessage().contains("'tokenizer.ggml.token_type'")
                && e.getMessage().contains(String.valueOf(GgufReader.MAX_ARRAY_ELEMENTS)), e.getMessage());
        assertTrue(cost.allocatedBytes() < (4 << 20), cost.allocatedBytes() + " bytes allocated");
    }

    @Test
    void aLongCraftedKeyIsCutInTheMessage() throws IOException {
        String key = "k".repeat(100_000);
        GgufBytes b = new GgufBytes().header(3, 0, 2).kvU32(key, 1).kvU32(key, 2);
        Path p = dir.resolve("dup.gguf");
        Files.write(p, b.bytes());

        VectorFileFormatException e = org.junit.jupiter.api.Assertions.assertThrows(VectorFileFormatException.class,
                () -> GgufControlVector.read(p));

        assertTrue(e.getMessage().length() < 500, e.getMessage().length() + " characters");
        assertTrue(e.getMessage().contains("duplicate metadata key"), e.getMessage());
    }

}
