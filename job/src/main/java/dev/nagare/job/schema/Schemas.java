package dev.nagare.job.schema;

import dev.nagare.udf.parse.NormalizedEvent;

import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.types.DataType;
import org.apache.flink.types.Row;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;

import static org.apache.flink.table.api.DataTypes.BIGINT;
import static org.apache.flink.table.api.DataTypes.BOOLEAN;
import static org.apache.flink.table.api.DataTypes.DOUBLE;
import static org.apache.flink.table.api.DataTypes.FIELD;
import static org.apache.flink.table.api.DataTypes.INT;
import static org.apache.flink.table.api.DataTypes.MAP;
import static org.apache.flink.table.api.DataTypes.STRING;
import static org.apache.flink.table.api.DataTypes.TIMESTAMP;

/**
 * The row types of the tables users query (contracts: DESIGN.md "Normalized event", "Alerts",
 * "Lake layout"). Sinks, rules and the Athena DDL all derive from these definitions, so they
 * cannot drift apart. Times are UTC wall-clock {@code TIMESTAMP(3)}, which is what Athena and
 * DuckDB expect in Parquet.
 */
public final class Schemas {
    private Schemas() {}

    /** The {@code logs} table: one flat row per log event; columns that do not apply are NULL. */
    public static final DataType LOGS =
            DataTypes.ROW(
                    FIELD("event_time", TIMESTAMP(3)),
                    FIELD("ingest_time", TIMESTAMP(3)),
                    FIELD("event_id", STRING()),
                    FIELD("log_type", STRING()),
                    FIELD("account", STRING()),
                    FIELD("region", STRING()),
                    FIELD("log_group", STRING()),
                    FIELD("log_stream", STRING()),
                    FIELD("service", STRING()),
                    FIELD("level", STRING()),
                    FIELD("message", STRING()),
                    FIELD("request_id", STRING()),
                    FIELD("trace_id", STRING()),
                    FIELD("attributes", MAP(STRING(), STRING())),
                    FIELD("db_user", STRING()),
                    FIELD("db_client_host", STRING()),
                    FIELD("db_operation", STRING()),
                    FIELD("db_name", STRING()),
                    FIELD("db_object", STRING()),
                    FIELD("db_query", STRING()),
                    FIELD("db_retcode", INT()),
                    FIELD("db_connection_id", BIGINT()),
                    FIELD("aws_event_name", STRING()),
                    FIELD("aws_event_source", STRING()),
                    FIELD("aws_principal_arn", STRING()),
                    FIELD("aws_principal_type", STRING()),
                    FIELD("aws_source_ip", STRING()),
                    FIELD("aws_error_code", STRING()),
                    FIELD("aws_mfa", BOOLEAN()),
                    FIELD("lambda_duration_ms", DOUBLE()),
                    FIELD("lambda_max_memory_mb", INT()),
                    FIELD("lambda_memory_size_mb", INT()),
                    FIELD("lambda_init_ms", DOUBLE()),
                    FIELD("rejected_event_time", TIMESTAMP(3)));

    /** Records or events that could not be decoded or parsed, kept with the reason. */
    public static final DataType DEAD_LETTER =
            DataTypes.ROW(
                    FIELD("ingest_time", TIMESTAMP(3)),
                    FIELD("stage", STRING()),
                    FIELD("reason", STRING()),
                    FIELD("log_group", STRING()),
                    FIELD("log_stream", STRING()),
                    FIELD("event_id", STRING()),
                    FIELD("raw_base64", STRING()),
                    FIELD("raw_size", INT()),
                    FIELD("truncated", BOOLEAN()));

    /** One alert: a rule's match wrapped with the rule's metadata and a deterministic id. */
    public static final DataType ALERTS =
            DataTypes.ROW(
                    FIELD("alert_id", STRING()),
                    FIELD("rule_id", STRING()),
                    FIELD("severity", STRING()),
                    FIELD("title", STRING()),
                    FIELD("account", STRING()),
                    FIELD("group_key", STRING()),
                    FIELD("window_start", TIMESTAMP(3)),
                    FIELD("window_end", TIMESTAMP(3)),
                    FIELD("event_count", BIGINT()),
                    FIELD("summary", STRING()),
                    FIELD("details", STRING()),
                    FIELD("runbook", STRING()),
                    FIELD("detected_at", TIMESTAMP(3)));

    /** Alerts a destination did not take within the retry bound, with the destination and the last error. */
    public static final DataType ALERTS_UNDELIVERED =
            DataTypes.ROW(concat(DataType.getFields(ALERTS),
                    FIELD("destination", STRING()),
                    FIELD("error", STRING()),
                    FIELD("attempts", INT()),
                    FIELD("failed_at", TIMESTAMP(3))));

    public static final int ALERTS_UNDELIVERED_ARITY = DataType.getFieldCount(ALERTS_UNDELIVERED);

    private static DataTypes.Field[] concat(List<DataTypes.Field> first, DataTypes.Field... more) {
        List<DataTypes.Field> all = new java.util.ArrayList<>(first);
        all.addAll(List.of(more));
        return all.toArray(new DataTypes.Field[0]);
    }

    /** The columns every rule's SELECT must return; the job adds the rest of {@link #ALERTS}. */
    public static final List<String> RULE_OUTPUT_COLUMNS =
            List.of("group_key", "window_start", "window_end", "event_count", "summary", "details");

    /**
     * The column a rule returns when its entity is scoped to an AWS account (services, users,
     * hosts, functions, principals): alerts, dedup and alert ids then keep accounts apart.
     */
    public static final String RULE_ACCOUNT_COLUMN = "account";

    /** Positions of the {@link #LOGS} columns the DataStream part of the job reads. */
    public static final int LOGS_EVENT_ID = DataType.getFieldNames(LOGS).indexOf("event_id");
    public static final int LOGS_LOG_TYPE = DataType.getFieldNames(LOGS).indexOf("log_type");
    public static final int LOGS_ACCOUNT = DataType.getFieldNames(LOGS).indexOf("account");
    public static final int LOGS_LOG_GROUP = DataType.getFieldNames(LOGS).indexOf("log_group");
    public static final int LOGS_LOG_STREAM = DataType.getFieldNames(LOGS).indexOf("log_stream");
    public static final int LOGS_EVENT_TIME = DataType.getFieldNames(LOGS).indexOf("event_time");
    public static final int LOGS_MESSAGE = DataType.getFieldNames(LOGS).indexOf("message");
    public static final int LOGS_INGEST_TIME = DataType.getFieldNames(LOGS).indexOf("ingest_time");

    /** A {@link #LOGS} row from a parsed event, in column order. */
    public static Row logRow(NormalizedEvent e) {
        return Row.of(
                utc(e.eventTimeMillis),
                utc(e.ingestTimeMillis),
                e.eventId,
                e.logType,
                e.account,
                e.region,
                e.logGroup,
                e.logStream,
                e.service,
                e.level,
                e.message,
                e.requestId,
                e.traceId,
                e.attributes.isEmpty() ? null : new HashMap<>(e.attributes),
                e.dbUser,
                e.dbClientHost,
                e.dbOperation,
                e.dbName,
                e.dbObject,
                e.dbQuery,
                e.dbRetcode,
                e.dbConnectionId,
                e.awsEventName,
                e.awsEventSource,
                e.awsPrincipalArn,
                e.awsPrincipalType,
                e.awsSourceIp,
                e.awsErrorCode,
                e.awsMfa,
                e.lambdaDurationMs,
                e.lambdaMaxMemoryMb,
                e.lambdaMemorySizeMb,
                e.lambdaInitMs,
                e.rejectedEventTimeMillis == null ? null : utc(e.rejectedEventTimeMillis));
    }

    /** UTC wall-clock time of an epoch-millisecond instant. */
    public static LocalDateTime utc(long epochMillis) {
        return LocalDateTime.ofInstant(Instant.ofEpochMilli(epochMillis), ZoneOffset.UTC);
    }
}
