package dev.nagare.job.schema;

import dev.nagare.udf.parse.LogColumns;
import dev.nagare.udf.parse.NormalizedEvent;

import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.data.GenericMapData;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.MapData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.TimestampData;
import org.apache.flink.table.types.DataType;
import org.apache.flink.types.Row;

import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

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

    /** The {@code logs} table: one flat row per log event; columns that do not apply are NULL ({@link LogColumns}). */
    public static final DataType LOGS =
            DataTypes.ROW(LogColumns.ALL.stream().map(c -> FIELD(c.name, dataType(c.type))).toArray(DataTypes.Field[]::new));

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
        return Row.of(LogColumns.values(e));
    }

    private static final LogColumns.Column[] LOG_COLUMNS = LogColumns.ALL.toArray(new LogColumns.Column[0]);

    /**
     * The {@code logs} row of a parsed event in the planner's form, built straight from the event:
     * the job's hot path. The same values as {@link #logRow} converted by Flink's converter
     * ({@code LogColumnsTest}), without the {@code Row}, the {@code LocalDateTime}s and the map copy
     * in between.
     */
    public static RowData logRowData(NormalizedEvent e) {
        GenericRowData row = new GenericRowData(LOG_COLUMNS.length);
        for (int i = 0; i < LOG_COLUMNS.length; i++) {
            Object value = LOG_COLUMNS[i].plain(e);
            if (value == null) {
                continue;
            }
            switch (LOG_COLUMNS[i].type) {
                case TIMESTAMP:
                    row.setField(i, TimestampData.fromEpochMillis((Long) value));
                    break;
                case STRING:
                    row.setField(i, utf8((String) value));
                    break;
                case STRING_MAP:
                    row.setField(i, stringMap((Map<?, ?>) value));
                    break;
                default:
                    row.setField(i, value); // INT, BIGINT, DOUBLE, BOOLEAN: the boxed Java value
            }
        }
        return row;
    }

    /** A copy of the event's map in the planner's form (the parser may reuse the map); NULL when empty. */
    private static MapData stringMap(Map<?, ?> map) {
        if (map.isEmpty()) {
            return null;
        }
        Map<StringData, StringData> copy = new HashMap<>(map.size() * 2);
        map.forEach((k, v) -> copy.put(utf8((String) k), v == null ? null : utf8((String) v)));
        return new GenericMapData(copy);
    }

    /**
     * A string in the planner's binary form, encoded by the JDK: every string of an event is
     * encoded once on its way through the dedup shuffle, and Flink's own encoder (behind
     * {@code StringData.fromString}) goes character by character through a thread-local buffer
     * it replaces with a new zeroed array three times the string's length past 21,845 characters
     * (3% of the job's CPU in a profile). Both give the same bytes, lone surrogates included
     * (Flink falls back to the JDK for those); {@code LogColumnsTest} checks.
     */
    static StringData utf8(String text) {
        return StringData.fromBytes(text.getBytes(StandardCharsets.UTF_8));
    }

    /** The Flink type of a {@code logs} column type. */
    static DataType dataType(LogColumns.Type type) {
        switch (type) {
            case TIMESTAMP:
                return TIMESTAMP(3);
            case STRING:
                return STRING();
            case INT:
                return INT();
            case BIGINT:
                return BIGINT();
            case DOUBLE:
                return DOUBLE();
            case BOOLEAN:
                return BOOLEAN();
            case STRING_MAP:
                return MAP(STRING(), STRING());
            default:
                throw new IllegalStateException("no Flink type for " + type);
        }
    }

    /** UTC wall-clock time of an epoch-millisecond instant. */
    public static LocalDateTime utc(long epochMillis) {
        return LogColumns.utc(epochMillis);
    }
}
