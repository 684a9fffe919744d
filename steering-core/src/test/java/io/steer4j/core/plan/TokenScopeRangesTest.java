package io.steer4j.core.plan;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenScopeRangesTest {
    private final TokenScope scope = TokenScope.ranges(List.of(new PositionRange(2, 4), PositionRange.startingAt(7)));

    @Test
    void coversPositionsInsideAnyRangeOnly() {
        boolean[] expected = {false, false, true, true, false, false, false, true, true, true};
        for (int p = 0; p < expected.length; p++) {
            assertEquals(expected[p], scope.covers(p, 8), "position " + p);
        }
        assertTrue(scope.covers(100_000, 8), "an open range covers generated tokens");
        assertFalse(scope.covers(-1, 8), "padding");
    }

    @Test
    void parsesItsOwnCommandLineForm() {
        assertEquals("ranges:2-4,7-", scope.toString());
        assertEquals(scope, TokenScope.parse("ranges:2-4,7-"));
    }

    @Test
    void refusesEmptyRangesAndRangesOnOtherKinds() {
        assertThrows(IllegalArgumentException.class, () -> new PositionRange(3, 3));
        assertThrows(IllegalArgumentException.class, () -> TokenScope.ranges(List.of()));
        assertThrows(IllegalArgumentException.class,
                () -> new TokenScope(TokenScope.Kind.ALL, 0, List.of(new PositionRange(0, 1))));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TokenScope.parse("ranges:5"));
        assertTrue(e.getMessage().contains("ranges:A-B"), e.getMessage());
    }
}
