package io.steer4j.spark;

import io.steer4j.core.vector.SteeringVector;
import io.steer4j.core.vector.VectorMetadata;

import java.io.Serializable;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * A steering vector in a form Spark can broadcast to executor JVMs: its directions and every metadata field, so
 * that the executor rebuilds the vector the driver read. Broadcasting replaces shipping the vector file with
 * {@code SparkContext.addFile}: in Spark 4.0 a file added outside a session's artifact scope never reaches the
 * tasks of that session's DataFrame jobs on executors (only local mode, which shares the driver's folder, finds it).
 */
record ShippedVector(TreeMap<Integer, float[]> directions, String modelId, int hiddenSize, String hookPoint,
                     String layerNumbering, String method, String readPosition, int datasetSize, Instant createdAt,
                     TreeMap<String, String> notes) implements Serializable {

    static ShippedVector of(SteeringVector v) {
        VectorMetadata m = v.metadata();
        return new ShippedVector(new TreeMap<>(v.directions()), m.modelId(), m.hiddenSize(), m.hookPoint(),
                m.layerNumbering(), m.method(), m.readPosition(), m.datasetSize(), m.createdAt(),
                new TreeMap<>(m.notes()));
    }

    SteeringVector vector() {
        return new SteeringVector(directions, new VectorMetadata(modelId, hiddenSize, hookPoint, layerNumbering,
                method, readPosition, datasetSize, createdAt, notes));
    }

    /** Each vector of {@code shipped} rebuilt, by name. */
    static Map<String, SteeringVector> vectors(Map<String, ShippedVector> shipped) {
        Map<String, SteeringVector> out = new LinkedHashMap<>();
        shipped.forEach((name, s) -> out.put(name, s.vector()));
        return out;
    }
}
