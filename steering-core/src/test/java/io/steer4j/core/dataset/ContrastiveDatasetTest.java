package io.steer4j.core.dataset;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ContrastiveDatasetTest {
    private static ContrastiveDataset numbered(int n) {
        List<ContrastivePair> pairs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            pairs.add(new ContrastivePair("p" + i, "n" + i));
        }
        return new ContrastiveDataset("numbers", pairs);
    }

    @Test
    void exposesPositivesAndNegativesInOrder() {
        ContrastiveDataset ds = numbered(3);
        assertEquals(3, ds.size());
        assertEquals(List.of("p0", "p1", "p2"), ds.positives());
        assertEquals(List.of("n0", "n1", "n2"), ds.negatives());
    }

    @Test
    void emptyDatasetIsRejectedNamingIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ContrastiveDataset("happy", List.of()));
        assertTrue(e.getMessage().contains("'happy'") && e.getMessage().contains("empty"), e.getMessage());
    }

    @Test
    void pairsAreCopiedAndUnmodifiable() {
        List<ContrastivePair> pairs = new ArrayList<>(List.of(new ContrastivePair("a", "b")));
        ContrastiveDataset ds = new ContrastiveDataset("d", pairs);
        pairs.add(new ContrastivePair("c", "d"));
        assertEquals(1, ds.size());
        assertThrows(UnsupportedOperationException.class, () -> ds.pairs().add(new ContrastivePair("c", "d")));
    }

    @Test
    void splitSizesRoundTheTrainFraction() {
        DatasetSplit s = numbered(5).split(0.6, 1);   // round(3.0) = 3
        assertEquals(3, s.train().size());
        assertEquals(2, s.test().size());
    }

    @Test
    void splitPartsAreDisjointAndCoverTheDataset() {
        DatasetSplit s = numbered(10).split(0.7, 42);
        Set<ContrastivePair> all = new HashSet<>(s.train().pairs());
        s.test().pairs().forEach(p -> assertTrue(all.add(p), "pair in both parts: " + p));
        assertEquals(new HashSet<>(numbered(10).pairs()), all);
    }

    @Test
    void sameSeedGivesTheSameSplit() {
        assertEquals(numbered(20).split(0.5, 7), numbered(20).split(0.5, 7));
    }

    @Test
    void differentSeedsShuffleDifferently() {
        // 20 pairs: two seeds agreeing on a 10-of-20 split by chance has probability 1/184756.
        assertTrue(!numbered(20).split(0.5, 7).equals(numbered(20).split(0.5, 8)));
    }

    @Test
    void splitKeepsAtLeastOnePairOnEachSide() {
        DatasetSplit s = numbered(3).split(0.01, 0);
        assertEquals(1, s.train().size());
        assertEquals(2, s.test().size());
    }

    @Test
    void splitPartsAreNamedAfterTheDataset() {
        DatasetSplit s = numbered(4).split(0.5, 0);
        assertEquals("numbers-train", s.train().name());
        assertEquals("numbers-test", s.test().name());
    }

    @Test
    void trainFractionMustBeStrictlyBetweenZeroAndOne() {
        assertThrows(IllegalArgumentException.class, () -> numbered(4).split(1.0, 0));
        assertThrows(IllegalArgumentException.class, () -> numbered(4).split(0.0, 0));
        assertThrows(IllegalArgumentException.class, () -> numbered(4).split(Double.NaN, 0));
    }

    @Test
    void aSinglePairCannotBeSplit() {
        assertThrows(IllegalArgumentException.class, () -> numbered(1).split(0.5, 0));
    }
}
