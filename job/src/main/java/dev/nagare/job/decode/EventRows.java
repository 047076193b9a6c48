package dev.nagare.job.decode;

import dev.nagare.job.metrics.JobMetrics;
import dev.nagare.job.metrics.Tally;
import dev.nagare.job.schema.Schemas;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.table.data.RowData;
import org.apache.flink.types.Row;

import java.util.function.Consumer;

/**
 * Counts parsed events and dead letters (totals and per log type, metrics and accumulators) and
 * hands each to its output. Shared by the operators that see parse results.
 *
 * <p>Events are in the planner's {@link RowData} from the parse on ({@code Schemas.logRowData}),
 * not converted behind the dedup shuffle: the shuffle carries them in the planner's binary form
 * (strings as UTF-8 bytes, copied, not written and rebuilt character by character), and the
 * rules, the rollup and the lake read them without another conversion.
 */
final class EventRows {
    private final Counter events;
    private final Counter deadLetters;
    private final LogTypeMetrics eventsByType;
    private final LogTypeMetrics deadLettersByType;
    private final Tally tally;

    EventRows(MetricGroup nagare, Tally tally) {
        this.tally = tally;
        this.events = nagare.counter(JobMetrics.EVENTS);
        this.deadLetters = nagare.counter(JobMetrics.DEAD_LETTERS);
        this.eventsByType = new LogTypeMetrics(nagare, JobMetrics.EVENTS, tally, "events.");
        this.deadLettersByType = new LogTypeMetrics(nagare, JobMetrics.DEAD_LETTERS);
    }

    /** An {@link Decoded#EVENT} or {@link Decoded#DEAD_LETTER} item to its output, counted. */
    void route(Row item, Consumer<RowData> eventOut, Consumer<Row> deadLetterOut) {
        if (Decoded.kind(item) == Decoded.EVENT) {
            RowData row = (RowData) item.getField(Decoded.ROW);
            String logType = row.isNullAt(Schemas.LOGS_LOG_TYPE) ? null : row.getString(Schemas.LOGS_LOG_TYPE).toString();
            events.inc();
            eventsByType.inc(logType);
            eventOut.accept(row);
            return;
        }
        Row deadLetter = (Row) item.getField(Decoded.DEAD);
        deadLetters.inc();
        deadLettersByType.inc((String) item.getField(Decoded.DEAD_LOG_TYPE));
        tally.inc("deadLetters." + deadLetter.getField(1));
        deadLetterOut.accept(deadLetter);
    }
}
