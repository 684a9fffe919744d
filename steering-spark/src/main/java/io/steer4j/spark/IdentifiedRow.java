package io.steer4j.spark;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;

/**
 * An input row with the identity a {@link BadRowException} names it by: the id column's value ({@code "(null id)"}
 * when it is null), else {@code "#<0-based index>"}. Vector computation and steering read their rows through it,
 * so both name rows, read text cells and refuse missing or empty texts the same way.
 *
 * @param identity the row's id value, or {@code "#<index>"}
 * @param row      the row
 */
record IdentifiedRow(String identity, Row row) implements Serializable {

    /**
     * Each row of {@code rows} with its identity.
     *
     * @param idColumn the column whose value names a row, or null to name rows by index
     * @throws IllegalArgumentException when {@code idColumn} is not one of the rows' columns
     */
    static JavaRDD<IdentifiedRow> of(Dataset<Row> rows, String idColumn) {
        if (idColumn == null) {
            return rows.javaRDD().zipWithIndex().map(t -> new IdentifiedRow("#" + t._2(), t._1()));
        }
        List<String> cols = Arrays.asList(rows.columns());
        int idIndex = cols.indexOf(idColumn);
        if (idIndex < 0) {
            throw new IllegalArgumentException("the rows have no id column '" + idColumn + "'; columns: " + cols);
        }
        return rows.javaRDD().map(r -> new IdentifiedRow(r.isNullAt(idIndex) ? "(null id)"
                : r.get(idIndex).toString(), r));
    }

    /** The cell at {@code column} as text, or null when it is null. */
    String text(int column) {
        return row.isNullAt(column) ? null : row.get(column).toString();
    }

    /**
     * The cell at {@code column} as text.
     *
     * @param what names the text in the message ("positive text", "prompt")
     * @throws BadRowException naming this row when the cell is null or empty
     */
    String requireText(int column, String what) {
        return BadRowException.requireText(identity, text(column), what);
    }
}
