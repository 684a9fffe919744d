package io.steer4j.spark;

/**
 * An input row that cannot be processed (a missing or empty text, a text that encodes to no tokens, an unknown
 * vector name ...). The message starts with the row's identity, its id column's value when the job has one, else
 * its 0-based index in the input, so the row can be found and fixed; the job fails rather than skip it.
 */
public class BadRowException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final String rowIdentity;

    /**
     * @param rowIdentity the row's id, or {@code "#<index>"} for its position in the input
     * @param problem     what is wrong with it
     */
    public BadRowException(String rowIdentity, String problem) {
        super("row " + rowIdentity + ": " + problem);
        this.rowIdentity = rowIdentity;
    }

    /**
     * @param rowIdentity the row's id, or {@code "#<index>"} for its position in the input
     * @param problem     what is wrong with it
     * @param cause       the exception that found the problem
     */
    public BadRowException(String rowIdentity, String problem, Throwable cause) {
        super("row " + rowIdentity + ": " + problem, cause);
        this.rowIdentity = rowIdentity;
    }

    /**
     * {@code text}, or a BadRowException naming the row if it is null or empty.
     *
     * @param what names the text in the message ("positive text", "prompt")
     */
    static String requireText(String rowIdentity, String text, String what) {
        if (text == null) {
            throw new BadRowException(rowIdentity, "the " + what + " is missing (null)");
        }
        if (text.isEmpty()) {
            throw new BadRowException(rowIdentity, "the " + what + " is empty");
        }
        return text;
    }

    /** The row's id value, or {@code "#<index>"} (0-based position in the input) when the job has no id column. */
    public String rowIdentity() {
        return rowIdentity;
    }
}
