package dev.nagare.udf.parse;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The columns of the {@code logs} table, defined once (the contract in DESIGN.md): their order, names,
 * types and where each value comes from in a {@link NormalizedEvent}. The Flink row type, the row
 * built from each parsed event and the Athena DDL all derive from this list, so adding a field to
 * {@link NormalizedEvent} means adding one line here. The order is the order of the Parquet columns
 * already in lakes: new columns go at the end.
 */
public final class LogColumns {
    private LogColumns() {}

    /** The SQL types a {@code logs} column can have; each consumer maps them to its own type system. */
    public enum Type {
        /** UTC wall-clock time in milliseconds ({@code TIMESTAMP(3)}), a {@link LocalDateTime} in rows. */
        TIMESTAMP,
        STRING,
        INT,
        BIGINT,
        DOUBLE,
        BOOLEAN,
        /** A map of strings to strings. */
        STRING_MAP
    }

    /** One column: its name, its type and its value in the row of a parsed event. */
    public static final class Column {
        public final String name;
        public final Type type;
        private final Function<NormalizedEvent, Object> value;

        Column(String name, Type type, Function<NormalizedEvent, Object> value) {
            this.name = name;
            this.type = type;
            this.value = value;
        }

        /** The value of this column for a parsed event, as a Flink row holds it (times as UTC {@link LocalDateTime}). */
        public Object value(NormalizedEvent e) {
            Object plain = value.apply(e);
            if (plain == null) {
                return null;
            }
            switch (type) {
                case TIMESTAMP:
                    return utc((Long) plain);
                case STRING_MAP:
                    // A copy: the row outlives the event, and an empty map is stored as NULL.
                    Map<?, ?> map = (Map<?, ?>) plain;
                    return map.isEmpty() ? null : new HashMap<>(map);
                default:
                    return plain;
            }
        }

        /**
         * The value as the event holds it: times as epoch milliseconds ({@code Long}), maps as the
         * event's own map (a parser may reuse it for the next event: copy what outlives it; an
         * empty map is stored as NULL), everything else as {@link #value}.
         */
        public Object plain(NormalizedEvent e) {
            return value.apply(e);
        }

        @Override
        public String toString() {
            return name + " " + type;
        }
    }

    /** Every column of {@code logs}, in table order. */
    public static final List<Column> ALL =
            List.of(
                    new Column("event_time", Type.TIMESTAMP, e -> e.eventTimeMillis),
                    new Column("ingest_time", Type.TIMESTAMP, e -> e.ingestTimeMillis),
                    new Column("event_id", Type.STRING, e -> e.eventId),
                    new Column("log_type", Type.STRING, e -> e.logType),
                    new Column("account", Type.STRING, e -> e.account),
                    new Column("region", Type.STRING, e -> e.region),
                    new Column("log_group", Type.STRING, e -> e.logGroup),
                    new Column("log_stream", Type.STRING, e -> e.logStream),
                    new Column("service", Type.STRING, e -> e.service),
                    new Column("level", Type.STRING, e -> e.level),
                    new Column("message", Type.STRING, e -> e.message),
                    new Column("request_id", Type.STRING, e -> e.requestId),
                    new Column("trace_id", Type.STRING, e -> e.traceId),
                    new Column("attributes", Type.STRING_MAP, e -> e.attributes),
                    new Column("db_user", Type.STRING, e -> e.dbUser),
                    new Column("db_client_host", Type.STRING, e -> e.dbClientHost),
                    new Column("db_operation", Type.STRING, e -> e.dbOperation),
                    new Column("db_name", Type.STRING, e -> e.dbName),
                    new Column("db_object", Type.STRING, e -> e.dbObject),
                    new Column("db_query", Type.STRING, e -> e.dbQuery),
                    new Column("db_retcode", Type.INT, e -> e.dbRetcode),
                    new Column("db_connection_id", Type.BIGINT, e -> e.dbConnectionId),
                    new Column("aws_event_name", Type.STRING, e -> e.awsEventName),
                    new Column("aws_event_source", Type.STRING, e -> e.awsEventSource),
                    new Column("aws_principal_arn", Type.STRING, e -> e.awsPrincipalArn),
                    new Column("aws_principal_type", Type.STRING, e -> e.awsPrincipalType),
                    new Column("aws_source_ip", Type.STRING, e -> e.awsSourceIp),
                    new Column("aws_error_code", Type.STRING, e -> e.awsErrorCode),
                    new Column("aws_mfa", Type.BOOLEAN, e -> e.awsMfa),
                    new Column("lambda_duration_ms", Type.DOUBLE, e -> e.lambdaDurationMs),
                    new Column("lambda_max_memory_mb", Type.INT, e -> e.lambdaMaxMemoryMb),
                    new Column("lambda_memory_size_mb", Type.INT, e -> e.lambdaMemorySizeMb),
                    new Column("lambda_init_ms", Type.DOUBLE, e -> e.lambdaInitMs),
                    new Column("rejected_event_time", Type.TIMESTAMP, e -> e.rejectedEventTimeMillis));

    /** The column values of a parsed event, in table order. */
    public static Object[] values(NormalizedEvent e) {
        Object[] values = new Object[ALL.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = ALL.get(i).value(e);
        }
        return values;
    }

    /** UTC wall-clock time of an epoch-millisecond instant. */
    public static LocalDateTime utc(long epochMillis) {
        return LocalDateTime.ofInstant(Instant.ofEpochMilli(epochMillis), ZoneOffset.UTC);
    }
}
