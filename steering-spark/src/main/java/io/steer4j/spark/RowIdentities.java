package io.steer4j.spark;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import scala.Tuple2;

import java.util.Arrays;

/**
 * Names input rows for {@link BadRowException}: the id column's value ({@code "(null id)"} when it is null), else
 * {@code "#<0-based index>"}. One place, so vector computation and steering name rows the same way.
 */
final class RowIdentities {
    private RowIdentities() {
    }

    /** Each row of {@code rows} with its identity; {@code idColumn} may be null (rows are then named by index). */
    static JavaRDD<Tuple2<String, Row>> of(Dataset<Row> rows, String idColumn) {
        int idIndex = idColumn == null ? -1 : Arrays.asList(rows.columns()).indexOf(idColumn);
        return idIndex < 0
                ? rows.javaRDD().zipWithIndex().map(t -> new Tuple2<>("#" + t._2(), t._1()))
                : rows.javaRDD().map(r -> new Tuple2<>(r.isNullAt(idIndex) ? "(null id)" : r.get(idIndex).toString(), r));
    }
}
