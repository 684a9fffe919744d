package io.steer4j.djl.steering;

import io.steer4j.djl.tokenizer.TextTokenizer;

/**
 * The one token a single-position {@link ReadPosition} (last, index, per-example, named token) reads in an
 * example, as decoders and encoders both resolve it; {@link ReadPosition.Mean} reads many and is resolved by each
 * capture.
 */
final class ReadIndex {
    private ReadIndex() {
    }

    /**
     * The index in {@code ids} (0-based, counting any special tokens the ids hold) that {@code read} names.
     *
     * @throws IllegalArgumentException when the position falls outside the example, or a named token is missing
     */
    static int of(ReadPosition read, String text, long[] ids, TextTokenizer tokenizer) {
        int len = ids.length;
        int idx;
        if (read instanceof ReadPosition.At a) {
            idx = a.index();
        } else if (read instanceof ReadPosition.PerExample p) {
            idx = p.indexer().index(text, ids);
        } else if (read instanceof ReadPosition.Token named) {
            idx = NamedToken.indexIn(tokenizer, named.token(), ids, text);
        } else {
            idx = len - 1;
        }
        int resolved = idx < 0 ? len + idx : idx;
        if (resolved < 0 || resolved >= len) {
            throw new IllegalArgumentException("read position " + idx + " is outside the " + len
                    + " tokens of example '" + text + "'");
        }
        return resolved;
    }
}
