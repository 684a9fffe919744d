package io.steer4j.djl.steering;

import io.steer4j.core.dataset.ContrastivePair;
import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.djl.TinyModels;
import io.steer4j.djl.generation.GenerationConfig;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link SteeredModel#load(String)} and its shortcuts do what the full API does, and own their model. */
class SteeredModelShortEntryPointTest {
    private static final List<ContrastivePair> PAIRS = List.of(
            new ContrastivePair("a happy cat", "a sad cat"),
            new ContrastivePair("the best day", "the worst day"));

    @Test
    void closingALoadedSteeredModelClosesItsModel() {
        SteeredModel m = SteeredModel.load(TinyModels.gpt2Dir().toString());
        assertFalse(m.model().isClosed());
        m.close();
        assertTrue(m.model().isClosed());
    }

    @Test
    void closingASteeredModelBuiltOnACallersModelLeavesItOpen() {
        try (var model = TinyModels.loadGpt2()) {
            SteeredModel.of(model, SteeringPlan.NONE).close();
            assertFalse(model.isClosed());
        }
    }

    @Test
    void shortcutsEqualTheFullApi() {
        try (SteeredModel m = SteeredModel.load(TinyModels.gpt2Dir().toString())) {
            SteeringVector v = m.computeVector(1, PAIRS);
            SteeringVector full = SteeringVectorComputer.builder(m.model()).layers(1).build()
                    .compute(new io.steer4j.core.dataset.ContrastiveDataset("pairs", PAIRS)).vector();
            assertEquals(java.util.Set.of(1), java.util.Set.copyOf(v.layers()));
            assertArrayEquals(full.direction(1), v.direction(1));
            assertArrayEquals(m.generate("the cat", GenerationConfig.greedy(8), SteeringPlan.NONE).tokens(),
                    m.generate("the cat", 8).tokens());
            assertArrayEquals(m.generate("the cat", GenerationConfig.greedy(8), SteeringPlan.of(v, 3.0)).tokens(),
                    m.generate("the cat", 8, v, 3.0).tokens());
        }
    }

    @Test
    void aLayerOutOfRangeIsRefusedByName() {
        try (SteeredModel m = SteeredModel.load(TinyModels.gpt2Dir().toString())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> m.computeVector(m.model().numLayers(), PAIRS));
            assertTrue(e.getMessage().contains("layer"), e.getMessage());
        }
    }
}
