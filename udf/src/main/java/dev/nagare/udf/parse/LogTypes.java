package dev.nagare.udf.parse;

/** The values of the {@code log_type} column (a contract: rules and Athena queries filter on them). */
public final class LogTypes {
    public static final String APP = "app";
    public static final String LAMBDA = "lambda";
    public static final String MYSQL_AUDIT = "mysql_audit";
    public static final String POSTGRES_AUDIT = "postgres_audit";
    public static final String CLOUDTRAIL = "cloudtrail";
    public static final String TEXT = "text";

    private LogTypes() {}
}
