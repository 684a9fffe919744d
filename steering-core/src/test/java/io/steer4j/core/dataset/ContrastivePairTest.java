package io.steer4j.core.dataset;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ContrastivePairTest {
    @Test
    void holdsBothTexts() {
        ContrastivePair p = new ContrastivePair("I love it", "I hate it");
        assertEquals("I love it", p.positive());
        assertEquals("I hate it", p.negative());
    }

    @Test
    void nullPositiveIsRejectedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ContrastivePair(null, "x"));
        assertTrue(e.getMessage().contains("positive"), e.getMessage());
    }

    @Test
    void blankNegativeIsRejectedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ContrastivePair("x", " \n"));
        assertTrue(e.getMessage().contains("negative"), e.getMessage());
    }
}
