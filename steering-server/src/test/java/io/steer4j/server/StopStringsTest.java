package io.steer4j.server;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** OpenAI stop sequences over streamed deltas: nothing of a stop sequence is ever released. */
class StopStringsTest {
    @Test
    void aStopSequenceSplitAcrossDeltasIsHeldBackAndNeverReleased() {
        StopStrings s = new StopStrings(List.of("The end"));
        StringBuilder out = new StringBuilder();
        for (String d : List.of("and they lived. Th", "e e", "nd of it")) {
            out.append(s.feed(d));
        }
        assertTrue(s.stopped());
        assertEquals("and they lived. ", out.toString());
    }

    @Test
    void heldBackTextThatTurnsOutNotToStopIsReleasedAtTheEnd() {
        StopStrings s = new StopStrings(List.of("\n\n", "THE END"));
        StringBuilder out = new StringBuilder();
        out.append(s.feed("one\n"));
        out.append(s.feed("two TH"));
        out.append(s.flush());
        assertFalse(s.stopped());
        assertEquals("one\ntwo TH", out.toString());
    }

    @Test
    void theEarliestOfSeveralStopSequencesWins() {
        StopStrings s = new StopStrings(List.of("cat", "the"));
        assertEquals("I saw ", s.feed("I saw the cat"));
        assertEquals("", s.feed(" later"));
        assertEquals("", s.flush());
    }
}
