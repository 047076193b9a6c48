package dev.nagare.job.schema;

import dev.nagare.udf.parse.LogColumns;
import dev.nagare.udf.parse.NormalizedEvent;

import org.apache.flink.core.memory.MemorySegment;
import org.apache.flink.core.memory.MemorySegmentFactory;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.TimestampData;
import org.apache.flink.table.data.binary.BinaryArrayData;
import org.apache.flink.table.data.binary.BinaryMapData;
import org.apache.flink.table.data.binary.BinaryRowData;
import org.apache.flink.table.data.binary.BinarySegmentUtils;
import org.apache.flink.table.data.writer.BinaryRowWriter;
import org.apache.flink.table.data.writer.BinaryWriter;
import org.apache.flink.table.runtime.typeutils.MapDataSerializer;
import org.apache.flink.table.types.DataType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.VarCharType;
import org.apache.flink.types.Row;

import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.util.Arrays;
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
     * The {@code logs} row of a parsed event in the planner's binary form, written straight from
     * the event: the job's hot path. The same values as {@link #logRow} converted by Flink's
     * converter ({@code LogColumnsTest}).
     *
     * <p>Binary, not a {@code GenericRowData}: the row's first stop is the dedup shuffle, whose
     * serializer turned a generic row into a binary one anyway, and on the way each string was
     * four objects (bytes, string, segment, segment array): the largest share of the parse's
     * allocations. Here each column's string is encoded by the JDK (the same bytes as Flink's own
     * encoder, {@code LogColumnsTest} checks) and copied into one buffer of the row's exact size,
     * which the serializer then copies as it is; the attributes map is written in binary form
     * first and copied in whole.
     */
    public static RowData logRowData(NormalizedEvent e) {
        Object[] values = VALUES.get();
        try {
            int variableBytes = 0;
            for (int i = 0; i < LOG_COLUMNS.length; i++) {
                Object value = LOG_COLUMNS[i].plain(e);
                if (value instanceof String) {
                    byte[] utf8 = ((String) value).getBytes(StandardCharsets.UTF_8);
                    variableBytes += variableSize(utf8.length);
                    value = utf8;
                } else if (value != null && LOG_COLUMNS[i].type == LogColumns.Type.TIMESTAMP) {
                    value = TimestampData.fromEpochMillis((Long) value);
                } else if (value instanceof Map) {
                    BinaryMapData map = stringMap((Map<?, ?>) value);
                    variableBytes += map == null ? 0 : variableSize(map.getSizeInBytes());
                    value = map;
                }
                values[i] = value;
            }
            BinaryRowData row = new BinaryRowData(LOG_COLUMNS.length);
            BinaryRowWriter writer = new BinaryRowWriter(row, variableBytes);
            for (int i = 0; i < LOG_COLUMNS.length; i++) {
                Object value = values[i];
                if (value == null) {
                    writer.setNullAt(i);
                    continue;
                }
                if (LOG_COLUMNS[i].type == LogColumns.Type.STRING) {
                    // A string and a byte string have one layout in a binary row (inline up to 7
                    // bytes, else offset and length): the UTF-8 bytes are the string.
                    writer.writeBinary(i, (byte[]) value);
                } else {
                    // Flink's own dispatch by type; the map is binary already and written as it is.
                    BinaryWriter.write(writer, i, value, COLUMN_TYPES[i], MAPS);
                }
            }
            writer.complete();
            return row;
        } finally {
            Arrays.fill(values, null); // hold no message past its row
        }
    }

    /** The planner's type of each {@code logs} column, in column order. */
    private static final LogicalType[] COLUMN_TYPES = LOGS.getLogicalType().getChildren().toArray(new LogicalType[0]);

    /** Bytes a value takes in a binary row's variable part: none up to 7 (kept inline), else whole 8-byte words. */
    private static int variableSize(int bytes) {
        return bytes <= 7 ? 0 : (bytes + 7) & ~7;
    }

    /** Each thread's scratch for one event's values between sizing the row and writing it. */
    private static final ThreadLocal<Object[]> VALUES = ThreadLocal.withInitial(() -> new Object[LOG_COLUMNS.length]);

    /**
     * Hands the binary map to the row writer as it is: given a {@code BinaryMapData} the serializer
     * touches none of its buffers, so one serves every thread (it would not for any other map).
     */
    private static final MapDataSerializer MAPS =
            new MapDataSerializer(new VarCharType(VarCharType.MAX_LENGTH), new VarCharType(VarCharType.MAX_LENGTH));

    /**
     * A copy of the event's map in the planner's binary form (the parser may reuse the map); NULL
     * when empty. Written by hand into one array of the map's exact size: {@code MapDataSerializer}
     * needed a {@code StringData} per key and value, encoded each into a thread's scratch buffer
     * and copied it out, and copied both arrays once more into the map (11% of the decode and
     * parse samples in a profile). The layout is {@code BinaryMapData}'s, which
     * {@code LogColumnsTest} checks byte for byte against the serializer:
     * the key array's size in bytes (4 bytes), then the key array and the value array, each a
     * {@code BinaryArrayData}: the element count (4 bytes), a null bit per element rounded up to
     * 4-byte words and an 8-byte slot per element (these together padded to a whole word), then
     * the strings longer than 7 bytes, each padded to a word; a string of up to 7 bytes is kept in
     * its slot. A null key or value (no parser makes one) is a null element, as before.
     */
    static BinaryMapData stringMap(Map<?, ?> map) {
        int n = map.size();
        if (n == 0) {
            return null;
        }
        byte[][] keys = new byte[n][];
        byte[][] values = new byte[n][];
        int keyBytes = 0;
        int valueBytes = 0;
        int i = 0;
        for (Map.Entry<?, ?> entry : map.entrySet()) {
            if (entry.getKey() != null) {
                keys[i] = ((String) entry.getKey()).getBytes(StandardCharsets.UTF_8);
                keyBytes += variableSize(keys[i].length);
            }
            if (entry.getValue() != null) {
                values[i] = ((String) entry.getValue()).getBytes(StandardCharsets.UTF_8);
                valueBytes += variableSize(values[i].length);
            }
            i++;
        }
        int fixed = roundToWord(BinaryArrayData.calculateHeaderInBytes(n) + 8 * n);
        int keySize = fixed + keyBytes;
        int size = 4 + keySize + fixed + valueBytes;
        MemorySegment segment = MemorySegmentFactory.wrap(new byte[size]);
        segment.putInt(0, keySize);
        writeStrings(segment, 4, fixed, keys);
        writeStrings(segment, 4 + keySize, fixed, values);
        BinaryMapData binary = new BinaryMapData();
        binary.pointTo(segment, 0, size);
        return binary;
    }

    /** One {@code BinaryArrayData} of strings (a null element is null) at {@code base}, its slots ending at {@code base + fixed}. */
    private static void writeStrings(MemorySegment segment, int base, int fixed, byte[][] strings) {
        segment.putInt(base, strings.length);
        int slots = base + BinaryArrayData.calculateHeaderInBytes(strings.length);
        int cursor = fixed; // offsets in a slot count from the array's start
        for (int i = 0; i < strings.length; i++) {
            byte[] bytes = strings[i];
            int slot = slots + 8 * i;
            if (bytes == null) {
                BinarySegmentUtils.bitSet(segment, base + 4, i);
            } else if (bytes.length <= 7) {
                segment.putLong(slot, inline(bytes));
            } else {
                segment.put(base + cursor, bytes, 0, bytes.length); // the padding is zero: a new array
                segment.putLong(slot, ((long) cursor << 32) | bytes.length);
                cursor += variableSize(bytes.length);
            }
        }
    }

    /** A string of up to 7 bytes as its slot holds it: the bytes, and the length with the top bit set in the long's top byte. */
    private static long inline(byte[] bytes) {
        long value = 0;
        for (int i = 0; i < bytes.length; i++) {
            value |= (bytes[i] & 0xFFL) << (8 * (BinaryRowData.LITTLE_ENDIAN ? i : 6 - i));
        }
        return ((bytes.length | 0x80L) << 56) | value;
    }

    private static int roundToWord(int bytes) {
        return (bytes + 7) & ~7;
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
