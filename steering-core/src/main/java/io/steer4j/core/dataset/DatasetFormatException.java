package io.steer4j.core.dataset;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A dataset file cannot be read as contrastive pairs. The message names the file, the 1-based line, and the field
 * where the problem is, e.g. {@code "data/happy.csv:7: field 'negative': must not be blank"}.
 */
public class DatasetFormatException extends IOException {
    private final transient Path file;
    /** 1-based line of the problem, or 0 when it concerns the whole file. */
    private final int line;
    /** The field concerned, or {@code null}. */
    private final String field;

    /**
     * @param file    the dataset file
     * @param line    1-based line of the problem, or 0 when it concerns the whole file
     * @param field   the field concerned, or {@code null}
     * @param problem what is wrong
     */
    public DatasetFormatException(Path file, int line, String field, String problem) {
        this(file, line, field, problem, null);
    }

    /** As {@link #DatasetFormatException(Path, int, String, String)}, with a cause. */
    public DatasetFormatException(Path file, int line, String field, String problem, Throwable cause) {
        super(io.steer4j.core.format.MessageLimit.cap(file + (line > 0 ? ":" + line : "") + ": "
                + (field != null ? "field '" + field + "': " : "") + problem), cause);
        this.file = file;
        this.line = line;
        this.field = field;
    }

    /** The dataset file. */
    public Path file() {
        return file;
    }

    /** 1-based line of the problem, or 0 when it concerns the whole file. */
    public int line() {
        return line;
    }

    /** The field concerned, or {@code null}. */
    public String field() {
        return field;
    }
}
