package io.steer4j.server;

import java.util.List;

/**
 * OpenAI's {@code stop} sequences over a stream of text deltas: text is released only once it cannot be the start
 * of a stop sequence, and generation ends before the first one, which is not returned (as OpenAI does). Not
 * thread-safe: one per request, fed from the generating thread.
 */
final class StopStrings {
    private final List<String> stops;
    private final StringBuilder pending = new StringBuilder();
    private boolean stopped;

    StopStrings(List<String> stops) {
        this.stops = List.copyOf(stops);
    }

    /** Takes a delta; returns the text that is now safe to emit (possibly empty). */
    String feed(String delta) {
        if (stopped) {
            return "";
        }
        pending.append(delta);
        if (stops.isEmpty()) {
            String out = pending.toString();
            pending.setLength(0);
            return out;
        }
        int first = -1;
        for (String s : stops) {
            int i = pending.indexOf(s);
            if (i >= 0 && (first < 0 || i < first)) {
                first = i;
            }
        }
        if (first >= 0) {
            stopped = true;
            String out = pending.substring(0, first);
            pending.setLength(0);
            return out;
        }
        int keep = 0;  // the longest tail of the pending text that begins some stop sequence
        String text = pending.toString();
        for (String s : stops) {
            for (int k = Math.min(s.length() - 1, pending.length()); k > keep; k--) {
                if (text.regionMatches(text.length() - k, s, 0, k)) {
                    keep = k;
                    break;
                }
            }
        }
        String out = pending.substring(0, pending.length() - keep);
        pending.delete(0, pending.length() - keep);
        return out;
    }

    /** The text held back at the end of a generation that met no stop sequence. */
    String flush() {
        String out = stopped ? "" : pending.toString();
        pending.setLength(0);
        return out;
    }

    /** Whether a stop sequence was met. */
    boolean stopped() {
        return stopped;
    }
}
