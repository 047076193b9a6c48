package dev.nagare.udf.functions;

import dev.nagare.udf.parse.SqlStatements;

import org.apache.flink.table.functions.ScalarFunction;

/** {@code SQL_VERB(db_query)}: {@code GRANT}, {@code CREATE USER}, {@code DROP TABLE}, {@code SELECT}, ... */
public final class SqlVerbFunction extends ScalarFunction {
    private static final long serialVersionUID = 1L;
    public static final String NAME = "SQL_VERB";

    public String eval(String sql) {
        return SqlStatements.verb(sql);
    }
}
