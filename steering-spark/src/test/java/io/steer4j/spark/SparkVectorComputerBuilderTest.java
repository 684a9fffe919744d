package io.steer4j.spark;

import io.steer4j.core.vector.VectorMethod;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Spark computer's options are checked when set, with the single-machine computer's checks (shared through
 * {@code ExtractionSettings}) plus its own: no Spark session is needed to be told an option is wrong.
 */
class SparkVectorComputerBuilderTest {

    @Test
    void sharesTheSingleMachineChecksForLayersAndBatchSize() {
        SparkVectorComputer.Builder b = SparkVectorComputer.builder("/models/any");
        IllegalArgumentException layers = assertThrows(IllegalArgumentException.class, () -> b.layers(List.of()));
        assertTrue(layers.getMessage().contains("at least one layer"), layers.getMessage());
        IllegalArgumentException batch = assertThrows(IllegalArgumentException.class, () -> b.batchSize(0));
        assertTrue(batch.getMessage().contains("batch size must be positive, got 0"), batch.getMessage());
    }

    @Test
    void refusesAMethodWhoseStatisticsCannotBeMergedAcrossPartitions() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SparkVectorComputer.builder("/models/any").method(VectorMethod.LOGISTIC_REGRESSION));
        assertTrue(e.getMessage().contains("no mergeable statistics"), e.getMessage());
    }

    @Test
    void refusesABlankModelReference() {
        assertThrows(IllegalArgumentException.class, () -> SparkVectorComputer.builder(" "));
    }
}
