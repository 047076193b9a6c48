package dev.nagare.udf.functions;

import dev.nagare.udf.sql.SqlStatements;

import org.apache.flink.table.functions.ScalarFunction;

/**
 * {@code SQL_VERB(db_query)}: {@code GRANT}, {@code CREATE USER}, {@code DROP TABLE}, {@code SELECT}, ...
 * Null for null or blank text, and when the text could not be evaluated: an exception here would
 * fail the task and restart the job on the same record forever.
 */
public final class SqlVerbFunction extends ScalarFunction {
    private static final long serialVersionUID = 1L;
    public static final String NAME = "SQL_VERB";

    public String eval(String sql) {
        return Total.orNull(() -> SqlStatements.verb(sql));
    }
}
