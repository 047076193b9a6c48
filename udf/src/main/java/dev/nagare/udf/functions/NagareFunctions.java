package dev.nagare.udf.functions;

import org.apache.flink.table.functions.UserDefinedFunction;

import java.util.Map;

/** Every SQL function Nagare offers to rules, by the name rules call it. */
public final class NagareFunctions {
    private NagareFunctions() {}

    public static final Map<String, Class<? extends UserDefinedFunction>> ALL =
            Map.of(
                    AlertIdFunction.NAME, AlertIdFunction.class,
                    RedactFunction.NAME, RedactFunction.class,
                    SqlVerbFunction.NAME, SqlVerbFunction.class,
                    SqlTablesFunction.NAME, SqlTablesFunction.class,
                    PreviousTimeFunction.NAME, PreviousTimeFunction.class,
                    SuccessAfterFailuresFunction.NAME, SuccessAfterFailuresFunction.class);
}
