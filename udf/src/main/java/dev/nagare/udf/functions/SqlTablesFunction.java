package dev.nagare.udf.functions;

import dev.nagare.udf.sql.SqlStatements;

import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.functions.ScalarFunction;

/**
 * {@code SQL_TABLES(db_query)}: the tables a statement names, lower case, as an array. Null for
 * null text, and when the text could not be evaluated: an exception here would fail the task and
 * restart the job on the same record forever.
 */
public final class SqlTablesFunction extends ScalarFunction {
    private static final long serialVersionUID = 1L;
    public static final String NAME = "SQL_TABLES";

    public @DataTypeHint("ARRAY<STRING>") String[] eval(String sql) {
        return sql == null ? null : Total.orNull(() -> SqlStatements.tables(sql).toArray(new String[0]));
    }
}
