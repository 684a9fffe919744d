package io.steer4j.core.format;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.io.JsonEOFException;

/**
 * Describes a Jackson parse failure by its position and kind, never by the text it choked on.
 *
 * <p>Jackson's own messages quote the offending token ({@code Unrecognized token 'hf_CANARY...'}), so a model
 * folder whose {@code config.json} is a symbolic link to a token file would print the token in an error. Every
 * reader of an untrusted JSON file reports failures through this class instead.
 *
 * <pre>{@code
 * } catch (JsonProcessingException e) {
 *     throw new ModelLoadException(file + ": " + JsonFailure.describe(e));   // "not valid JSON at line 1, column 7 (...)"
 * }
 * }</pre>
 */
public final class JsonFailure {
    private JsonFailure() {
    }

    /**
     * What went wrong and where, without any of the file's content.
     *
     * @param e the failure
     * @return e.g. {@code "not valid JSON at line 3, column 14 (unexpected character or token)"}
     */
    public static String describe(JsonProcessingException e) {
        String kind;
        if (e instanceof StreamConstraintsException) {
            // Jackson's limit messages name the limit and its value only, never the document's text.
            kind = e.getOriginalMessage();
        } else if (e instanceof JsonEOFException) {
            kind = "unexpected end of input";
        } else if (e instanceof InputCoercionException) {
            kind = "number out of range";
        } else if (e instanceof com.fasterxml.jackson.core.JsonParseException) {
            kind = "unexpected character or token";
        } else {
            kind = "unexpected structure";
        }
        JsonLocation at = e.getLocation();
        String where = at == null || at.getLineNr() < 1 ? ""
                : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
        return "not valid JSON" + where + " (" + kind + ")";
    }
}
