package dev.nagare.job.decode;

import dev.nagare.job.schema.Schemas;
import dev.nagare.udf.parse.FireLensParser.PartialChunk;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.runtime.typeutils.ExternalTypeInfo;
import org.apache.flink.table.runtime.typeutils.InternalTypeInfo;
import org.apache.flink.types.Row;

/**
 * What the source emits for each Kinesis record: one item per log event (a {@code logs} row), per
 * dead letter, per FireLens partial chunk, or one marker for a record without events (a CloudWatch
 * control message, an empty envelope). The first item of each record is flagged, so downstream
 * counts records without a second pass. Decoding inside the source is what lets watermarks be
 * generated per Kinesis shard from the events' own times.
 */
public final class Decoded {
    private Decoded() {}

    public static final int EVENT = 0;
    public static final int DEAD_LETTER = 1;
    public static final int PARTIAL = 2;
    public static final int CONTROL = 3;
    public static final int EMPTY = 4;

    static final int KIND = 0;
    static final int ROW = 1;
    static final int DEAD = 2;
    static final int CHUNK = 3;
    static final int FIRST_OF_RECORD = 4;
    static final int DEAD_LOG_TYPE = 5;

    public static final TypeInformation<Row> TYPE = Types.ROW_NAMED(
            new String[] {"kind", "event", "dead_letter", "partial", "first_of_record", "dead_letter_log_type"},
            Types.INT,
            InternalTypeInfo.of(Schemas.LOGS.getLogicalType()),
            ExternalTypeInfo.of(Schemas.DEAD_LETTER),
            Types.POJO(PartialChunk.class),
            Types.BOOLEAN,
            Types.STRING);

    static Row event(RowData logRow) {
        return Row.of(EVENT, logRow, null, null, false, null);
    }

    static Row deadLetter(Row deadLetterRow, String logType) {
        return Row.of(DEAD_LETTER, null, deadLetterRow, null, false, logType);
    }

    static Row partial(PartialChunk chunk) {
        return Row.of(PARTIAL, null, null, chunk, false, null);
    }

    static Row marker(int kind) {
        return Row.of(kind, null, null, null, false, null);
    }

    public static int kind(Row item) {
        return (Integer) item.getField(KIND);
    }

    /**
     * The event time of an event item for the watermark; {@link Long#MIN_VALUE} for the other
     * items, which then never move the watermark.
     */
    public static long eventTimeMillis(Row item) {
        if (kind(item) != EVENT) {
            return Long.MIN_VALUE;
        }
        return ((RowData) item.getField(ROW)).getTimestamp(Schemas.LOGS_EVENT_TIME, 3).getMillisecond();
    }
}
