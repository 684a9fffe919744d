package io.steer4j.core.format.safetensors;

import io.steer4j.core.format.AllocationMeter;
import io.steer4j.core.format.MessageLimit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 27 rows 8, 9 and 2: a safetensors header's metadata map and shapes are capped while streaming, messages
 * stay short, and a header that is not JSON is described by position without quoting its bytes.
 */
class SafetensorsRealSizeTest {
    @TempDir
    Path dir;

    private Path file(String json) throws IOException {
        byte[] header = json.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(header.length).put(header);
        Path p = dir.resolve("x.safetensors");
        Files.write(p, b.array());
        return p;
    }

    @Test
    void aMetadataMapOfMillionsOfKeysIsRefusedWhileStreaming() throws IOException {
        StringBuilder json = new StringBuilder("{\"__metadata__\":{");
        for (int i = 0; i < 2_000_000; i++) {
            json.append(i == 0 ? "" : ",").append('"').append(i).append("\":\"\"");
        }
        Path p = file(json.append("}}").toString());
        long size = Files.size(p);

        AllocationMeter.Cost cost = AllocationMeter.measure(() -> SafetensorsHeader.read(p));

        SafetensorsFormatException e = assertInstanceOf(SafetensorsFormatException.class, cost.thrown());
        assertTrue(e.getMessage().contains("__metadata__ holds more than " + SafetensorsHeader.MAX_METADATA_ENTRIES),
                e.getMessage());
        assertTrue(cost.allocatedBytes() < 3 * size, cost.allocatedBytes() + " bytes allocated for " + size);
    }

    @Test
    void aShapeOfMillionsOfDimensionsIsRefusedWithAShortMessage() throws IOException {
        StringBuilder json = new StringBuilder("{\"t\":{\"dtype\":\"F32\",\"data_offsets\":[0,0],\"shape\":[");
        for (int i = 0; i < 3_000_000; i++) {
            json.append(i == 0 ? "" : ",").append(1);
        }
        Path p = file(json.append("]}}").toString());

        AllocationMeter.Cost cost = AllocationMeter.measure(() -> SafetensorsHeader.read(p));

        SafetensorsFormatException e = assertInstanceOf(SafetensorsFormatException.class, cost.thrown());
        assertTrue(e.getMessage().contains("more than " + SafetensorsHeader.MAX_DIMS + " values in its shape"),
                e.getMessage());
        assertTrue(e.getMessage().length() < 500, e.getMessage().length() + " characters");
        assertTrue(cost.allocatedBytes() < 2 * Files.size(p), cost.allocatedBytes() + " bytes allocated");
    }

    @Test
    void aHeaderThatIsNotJsonIsDescribedByPositionNotByItsText() throws IOException {
        Path p = file("hf_CANARYsecretTOKEN0123456789");

        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> SafetensorsHeader.read(p));

        assertFalse(e.getMessage().contains("CANARY"), e.getMessage());
        assertFalse(e.getCause() != null && String.valueOf(e.getCause().getMessage()).contains("CANARY"));
        assertTrue(e.getMessage().contains("line 1, column"), e.getMessage());
    }

    @Test
    void everyFormatMessageIsCappedInLength() {
        SafetensorsFormatException e = new SafetensorsFormatException(Path.of("f"), "x".repeat(10_000_000));

        assertTrue(e.getMessage().length() < MessageLimit.MAX_CHARS + 100, e.getMessage().length() + " characters");
    }
}
