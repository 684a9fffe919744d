package io.steer4j.djl.steering;

import io.steer4j.djl.tokenizer.TextTokenizer;

/** Resolves {@link ReadPosition.Token}: the id of a named token and its first index in an example. */
final class NamedToken {
    private NamedToken() {
    }

    /**
     * @throws IllegalArgumentException when the token text is not one token of the vocabulary, or the example does
     *                                  not contain it
     */
    static int indexIn(TextTokenizer tokenizer, String token, long[] ids, String text) {
        long[] enc = tokenizer.encode(token, false);
        if (enc.length != 1) {
            throw new IllegalArgumentException("read position token '" + token + "' is " + enc.length
                    + " tokens, not one token of the vocabulary");
        }
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] == enc[0]) {
                return i;
            }
        }
        throw new IllegalArgumentException("example '" + text + "' does not contain the token '" + token + "'");
    }
}
