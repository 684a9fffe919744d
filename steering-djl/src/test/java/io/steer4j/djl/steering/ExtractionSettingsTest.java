package io.steer4j.djl.steering;

import io.steer4j.core.plan.HookPoint;
import io.steer4j.core.vector.VectorMethod;
import io.steer4j.djl.TinyModels;
import io.steer4j.djl.model.LanguageModel;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The extraction options both vector computers share, with their checks. */
class ExtractionSettingsTest {

    @Test
    void defaultsReadEveryLayerAtResidPostsLastTokenByMeanDifferenceEightAPass() {
        ExtractionSettings d = ExtractionSettings.DEFAULTS;
        assertNull(d.layers(), "null stands for every layer of the model");
        assertEquals(HookPoint.RESID_POST, d.hookPoint());
        assertEquals(ReadPosition.last().id(), d.readPosition().id());
        assertEquals(VectorMethod.MEAN_DIFFERENCE, d.method());
        assertEquals(8, d.batchSize());
    }

    @Test
    void anEmptyLayerListIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ExtractionSettings.DEFAULTS.withLayers(List.of()));
        assertTrue(e.getMessage().contains("at least one layer"), e.getMessage());
    }

    @Test
    void aBatchSizeBelowOneIsRefusedNamingIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ExtractionSettings.DEFAULTS.withBatchSize(0));
        assertTrue(e.getMessage().contains("batch size must be positive, got 0"), e.getMessage());
    }

    @Test
    void theLayersAreACopyThatLaterChangesToTheCallersListDoNotReach() {
        List<Integer> mine = new ArrayList<>(List.of(1, 2));
        ExtractionSettings s = ExtractionSettings.DEFAULTS.withLayers(mine);
        mine.add(3);
        assertEquals(List.of(1, 2), s.layers());
        assertThrows(UnsupportedOperationException.class, () -> s.layers().add(4));
    }

    @Test
    void nullHookPointReadPositionOrMethodIsRefused() {
        assertThrows(NullPointerException.class, () -> ExtractionSettings.DEFAULTS.withHookPoint(null));
        assertThrows(NullPointerException.class, () -> ExtractionSettings.DEFAULTS.withReadPosition(null));
        assertThrows(NullPointerException.class, () -> ExtractionSettings.DEFAULTS.withMethod(null));
    }

    @Test
    void theSingleMachineComputerRefusesABatchSizeBelowOneWhenItIsSet() {
        try (LanguageModel model = TinyModels.loadGpt2()) {
            SteeringVectorComputer.Builder b = SteeringVectorComputer.builder(model);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.batchSize(0));
            assertTrue(e.getMessage().contains("batch size"), e.getMessage());
        }
    }
}
