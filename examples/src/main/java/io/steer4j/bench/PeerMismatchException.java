package io.steer4j.bench;

import java.util.List;

/**
 * The peer comparison's sides disagreed on greedy ids: the figures compare different computations, so the bench
 * fails (exit 1) instead of printing them as a result.
 */
final class PeerMismatchException extends RuntimeException {
    PeerMismatchException(List<String> mismatches) {
        super("greedy ids differ from llama.cpp's in " + mismatches.size() + " generation(s), first: "
                + mismatches.get(0));
    }
}
