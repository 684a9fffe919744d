package io.steer4j.spark;

import io.steer4j.core.vector.SteeringVector;
import io.steer4j.core.vector.VectorMetadata;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.time.Instant;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ShippedVectorTest {
    @Test
    void aVectorSerializedAndRebuiltEqualsTheOriginalIncludingEveryMetadataField() throws Exception {
        VectorMetadata meta = new VectorMetadata("stories260k", 3, "attn_out", "imported: llama.cpp numbering",
                "pca_center", "mean", 42, Instant.parse("2026-12-07T20:00:00Z"), Map.of("dataset", "happy-sad"));
        SteeringVector v = new SteeringVector(Map.of(1, new float[] {0.5f, -1.25f, 3e-8f},
                4, new float[] {1, 2, 3}), meta);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(ShippedVector.of(v));
        }
        ShippedVector back;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            back = (ShippedVector) in.readObject();
        }
        assertEquals(v, back.vector());
        assertEquals(meta, back.vector().metadata());
    }
}
