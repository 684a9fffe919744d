package io.steer4j.core.vector;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Learning, orthonormality and erasure of concept subspaces. */
class ConceptSubspaceTest {
    private static final int HIDDEN = 16;

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }

    private static float[] unit(int axis) {
        float[] v = new float[HIDDEN];
        v[axis] = 1;
        return v;
    }

    private static float[] gaussian(Random rnd, double scale) {
        float[] v = new float[HIDDEN];
        for (int j = 0; j < HIDDEN; j++) {
            v[j] = (float) (rnd.nextGaussian() * scale);
        }
        return v;
    }

    /** Squared length of the part of {@code v} that lies in the subspace. */
    private static double inSpan(ConceptSubspace s, float[] v) {
        double e = 0;
        for (float[] b : s.directions()) {
            e += dot(v, b) * dot(v, b);
        }
        return e;
    }

    /**
     * Pairs whose differences lie in span(e0, e1) (a large offset along e0, varying amounts along e1) while each
     * pair's shared content is random: the context differences cancel, the concept does not.
     */
    private static ActivationMatrix[] plantedPairs(int n, Random rnd) {
        List<float[]> pos = new ArrayList<>();
        List<float[]> neg = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            float[] context = gaussian(rnd, 3);
            float[] p = context.clone();
            p[0] += 2;
            p[1] += (float) rnd.nextGaussian();
            pos.add(p);
            neg.add(context);
        }
        return new ActivationMatrix[] {ActivationMatrix.ofRows(pos), ActivationMatrix.ofRows(neg)};
    }

    @Test
    void pairDifferencesRecoverThePlantedConceptPlaneAndNothingElse() {
        ActivationMatrix[] pairs = plantedPairs(40, new Random(1));

        ConceptSubspace s = ConceptSubspace.fromPairDifferences(pairs[0], pairs[1], 2);

        assertEquals(2, s.rank());
        assertEquals(HIDDEN, s.dimension());
        assertEquals(1.0, inSpan(s, unit(0)), 1e-6, "e0 lies in the learned plane");
        assertEquals(1.0, inSpan(s, unit(1)), 1e-6, "e1 lies in the learned plane");
        assertEquals(0.0, inSpan(s, unit(5)), 1e-6, "a context axis does not");
    }

    @Test
    void theFirstDirectionOfAConstantOffsetIsTheOffsetItself() {
        ActivationMatrix[] pairs = plantedPairs(40, new Random(2));

        float[] first = ConceptSubspace.fromPairDifferences(pairs[0], pairs[1], 1).direction(0);

        // the offset along e0 (2 per pair) outweighs the variation along e1 (1 on average): the top direction is
        // mostly e0, as the mean difference would be
        assertTrue(Math.abs(first[0]) > 0.8, "first direction " + java.util.Arrays.toString(first));
    }

    @Test
    void learnedDirectionsAreOrthonormal() {
        Random rnd = new Random(3);
        List<float[]> pos = new ArrayList<>();
        List<float[]> neg = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            pos.add(gaussian(rnd, 1));
            neg.add(gaussian(rnd, 1));
        }

        ConceptSubspace s = ConceptSubspace.fromPairDifferences(ActivationMatrix.ofRows(pos),
                ActivationMatrix.ofRows(neg), 6);

        for (int i = 0; i < 6; i++) {
            for (int j = 0; j < 6; j++) {
                assertEquals(i == j ? 1.0 : 0.0, dot(s.direction(i), s.direction(j)), 1e-6, i + "," + j);
            }
        }
    }

    @Test
    void givenDirectionsAreOrthonormalisedInOrder() {
        ConceptSubspace s = ConceptSubspace.ofDirections(List.of(new float[] {3, 4, 0}, new float[] {1, 0, 1}));

        float[] b0 = s.direction(0);
        assertEquals(0.6, b0[0], 1e-6);
        assertEquals(0.8, b0[1], 1e-6);
        assertEquals(0.0, dot(b0, s.direction(1)), 1e-6);
        assertEquals(1.0, dot(s.direction(1), s.direction(1)), 1e-6);
    }

    @Test
    void erasureLeavesNoComponentInTheSubspaceAndKeepsTheRest() {
        ConceptSubspace s = ConceptSubspace.ofDirections(List.of(new float[] {1, 1, 0, 0}, new float[] {0, 1, 1, 0}));
        float[] x = {2, -1, 5, 7};

        float[] y = s.erase(x);

        for (float[] b : s.directions()) {
            assertEquals(0.0, dot(y, b), 1e-6);
        }
        assertEquals(7f, y[3], 1e-6, "the axis orthogonal to both directions is untouched");
        float[] twice = s.erase(y);
        for (int j = 0; j < 4; j++) {
            assertEquals(y[j], twice[j], 1e-6, "erasing twice changes nothing at " + j);
        }
    }

    @Test
    void aDirectionInTheSpanOfEarlierOnesIsRefusedByIndex() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ConceptSubspace
                .ofDirections(List.of(new float[] {1, 0, 0}, new float[] {0, 1, 0}, new float[] {2, -3, 0})));

        assertTrue(e.getMessage().contains("direction 2 lies in the span"), e.getMessage());
    }

    @Test
    void aZeroOrNonFiniteDirectionIsRefused() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ConceptSubspace.ofDirections(
                List.of(new float[] {0, 0}))).getMessage().contains("direction 0 is zero"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ConceptSubspace.ofDirections(
                List.of(new float[] {1, Float.NaN}))).getMessage().contains("non-finite value at index 1"));
    }

    @Test
    void aRankBeyondWhatTheDifferencesSpanIsRefusedSayingHowManyTheySpan() {
        // every difference is a multiple of e0: one direction only
        List<float[]> pos = new ArrayList<>();
        List<float[]> neg = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            float[] c = unit(3);
            float[] p = c.clone();
            p[0] += i;
            pos.add(p);
            neg.add(c);
        }

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ConceptSubspace
                .fromPairDifferences(ActivationMatrix.ofRows(pos), ActivationMatrix.ofRows(neg), 2));

        assertTrue(e.getMessage().contains("span only 1 direction"), e.getMessage());
    }

    @Test
    void aRankOutsideOneToThePairCountOrMismatchedPairsAreRefused() {
        ActivationMatrix[] pairs = plantedPairs(3, new Random(4));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ConceptSubspace.fromPairDifferences(pairs[0],
                pairs[1], 0)).getMessage().contains("rank must be in 1..3"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ConceptSubspace.fromPairDifferences(pairs[0],
                pairs[1], 4)).getMessage().contains("rank must be in 1..3"));
        ActivationMatrix two = ActivationMatrix.ofRows(pairs[1].row(0), pairs[1].row(1));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ConceptSubspace.fromPairDifferences(pairs[0],
                two, 1)).getMessage().contains("pairs need matching rows"));
    }
}
