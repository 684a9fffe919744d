package io.steer4j.core.format.safetensors;

import io.steer4j.core.format.AllocationMeter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Legal-looking but huge headers cost memory bounded by a small multiple of the file, and the count is capped. */
class SafetensorsHostileHeaderTest {

    @TempDir
    Path dir;

    /** A safetensors file whose header lists {@code count} zero-size F32 tensors and nothing else. */
    private Path zeroSizeTensors(int count) throws IOException {
        StringBuilder json = new StringBuilder("{");
        for (int i = 0; i < count; i++) {
            json.append(i == 0 ? "" : ",").append("\"t").append(i)
                    .append("\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}");
        }
        byte[] header = json.append('}').toString().getBytes(StandardCharsets.UTF_8);
        ByteBuffer file = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN);
        file.putLong(header.length).put(header);
        Path p = dir.resolve("many.safetensors");
        Files.write(p, file.array());
        return p;
    }

    @Test
    void moreTensorsThanTheCapAreRefusedWithinASmallMultipleOfTheFileSize() throws IOException {
        Path p = zeroSizeTensors(SafetensorsHeader.MAX_TENSORS + 1); // ~4 MB of header
        long size = Files.size(p);

        AllocationMeter.Cost cost = AllocationMeter.measure(() -> SafetensorsHeader.read(p));

        System.out.printf("safetensors header of %d bytes, %d tensors: %d bytes allocated%n", size,
                SafetensorsHeader.MAX_TENSORS + 1, cost.allocatedBytes());
        SafetensorsFormatException e = assertInstanceOf(SafetensorsFormatException.class, cost.thrown());
        assertTrue(e.getMessage().contains("more than " + SafetensorsHeader.MAX_TENSORS + " tensors"), e.getMessage());
        assertTrue(cost.allocatedBytes() < 16 * size, cost.allocatedBytes() + " bytes allocated for " + size);
    }

    @Test
    void aHeaderAtTheCapIsReadWithinASmallMultipleOfTheFileSize() throws IOException {
        Path p = zeroSizeTensors(SafetensorsHeader.MAX_TENSORS);
        long size = Files.size(p);

        AllocationMeter.Cost cost = AllocationMeter.measure(() -> SafetensorsHeader.read(p));

        System.out.printf("safetensors header of %d bytes, %d tensors (legal): %d bytes allocated%n", size,
                SafetensorsHeader.MAX_TENSORS, cost.allocatedBytes());
        assertNull(cost.thrown());
        assertTrue(cost.allocatedBytes() < 16 * size, cost.allocatedBytes() + " bytes allocated for " + size);
    }

    @Test
    void headerOrderAndMetadataSurviveStreamingParsing() throws IOException {
        String json = "{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"__metadata__\":{\"k\":\"v\"},\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[4,8]}}";
        byte[] header = json.getBytes(StandardCharsets.UTF_8);
        ByteBuffer file = ByteBuffer.allocate(8 + header.length + 8).order(ByteOrder.LITTLE_ENDIAN);
        file.putLong(header.length).put(header);
        Path p = dir.resolve("order.safetensors");
        Files.write(p, file.array());

        SafetensorsHeader h = SafetensorsHeader.read(p);

        assertEquals("b", h.tensors().get(0).name());
        assertEquals("a", h.tensors().get(1).name());
        assertEquals("v", h.metadata().get("k"));
    }
}
