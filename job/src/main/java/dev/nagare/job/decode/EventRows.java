package dev.nagare.job.decode;

import dev.nagare.job.metrics.JobMetrics;
import dev.nagare.job.metrics.Tally;
import dev.nagare.job.schema.Schemas;

import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.conversion.DataStructureConverter;
import org.apache.flink.table.data.conversion.DataStructureConverters;
import org.apache.flink.types.Row;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Counts parsed events and dead letters (totals and per log type, metrics and accumulators) and
 * hands each to its output, events converted to the planner's {@link RowData}. Shared by the
 * operators that see parse results.
 *
 * <p>Events become {@code RowData} here, in the operators chained to the parsers, not behind the
 * dedup shuffle: the shuffle then carries them in the planner's binary form (strings as UTF-8
 * bytes, copied, not re-encoded and decoded character by character), and the rules, the rollup
 * and the lake read them without another conversion.
 */
final class EventRows {
    private final Counter events;
    private final Counter deadLetters;
    private final LogTypeMetrics eventsByType;
    private final LogTypeMetrics deadLettersByType;
    private final Tally tally;
    private final Map<String, LongCounter> eventTallies = new HashMap<>();
    private final DataStructureConverter<Object, Object> converter;

    EventRows(MetricGroup nagare, Tally tally, ClassLoader classLoader) {
        this.converter = DataStructureConverters.getConverter(Schemas.LOGS);
        this.converter.open(classLoader);
        this.tally = tally;
        this.events = nagare.counter(JobMetrics.EVENTS);
        this.deadLetters = nagare.counter(JobMetrics.DEAD_LETTERS);
        this.eventsByType = new LogTypeMetrics(nagare, JobMetrics.EVENTS);
        this.deadLettersByType = new LogTypeMetrics(nagare, JobMetrics.DEAD_LETTERS);
    }

    /** An {@link Decoded#EVENT} or {@link Decoded#DEAD_LETTER} item to its output, counted. */
    void route(Row item, Consumer<RowData> eventOut, Consumer<Row> deadLetterOut) {
        if (Decoded.kind(item) == Decoded.EVENT) {
            Row row = (Row) item.getField(Decoded.ROW);
            String logType = (String) row.getField(Schemas.LOGS_LOG_TYPE);
            events.inc();
            eventsByType.inc(logType);
            eventTallies.computeIfAbsent(logType, type -> tally.counter("events." + type)).add(1L);
            eventOut.accept((RowData) converter.toInternal(row));
            return;
        }
        Row deadLetter = (Row) item.getField(Decoded.DEAD);
        deadLetters.inc();
        deadLettersByType.inc((String) item.getField(Decoded.DEAD_LOG_TYPE));
        tally.inc("deadLetters." + deadLetter.getField(1));
        deadLetterOut.accept(deadLetter);
    }
}
