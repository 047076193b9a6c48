package dev.nagare.job.decode;

import dev.nagare.job.schema.Schemas;
import dev.nagare.udf.decode.RawLogEvent;
import dev.nagare.udf.parse.EventParser;
import dev.nagare.udf.parse.ParseException;
import dev.nagare.udf.redact.Redactor;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.types.Row;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.function.Consumer;

/**
 * Parses raw events into {@code logs} rows and builds dead-letter rows, counting both in the
 * operator's metrics (totals and per log type). Shared by the operators that parse.
 */
final class EventRows {
    /** Raw bytes kept per dead letter: a whole 10 MiB Kinesis record, so nothing is lost. */
    static final int MAX_DEAD_LETTER_BYTES = 10 * 1024 * 1024;

    private final EventParser parser;
    private final Counter events;
    private final Counter deadLetters;
    private final LogTypeMetrics eventsByType;
    private final LogTypeMetrics deadLettersByType;

    private final Tally tally;

    EventRows(EventParser parser, MetricGroup nagare, Tally tally) {
        this.parser = parser;
        this.tally = tally;
        this.events = nagare.counter("events");
        this.deadLetters = nagare.counter("deadLetters");
        this.eventsByType = new LogTypeMetrics(nagare, "events");
        this.deadLettersByType = new LogTypeMetrics(nagare, "deadLetters");
    }

    /** The event's row, or null after handing a dead letter with the reason to {@code deadLetterOut}. */
    Row parse(RawLogEvent event, long ingestTime, Consumer<Row> deadLetterOut) {
        String reason;
        String logType = null;
        try {
            Row row = Schemas.logRow(parser.parse(event, ingestTime));
            events.inc();
            eventsByType.inc((String) row.getField(Schemas.LOGS_LOG_TYPE));
            tally.inc("events." + row.getField(Schemas.LOGS_LOG_TYPE));
            return row;
        } catch (ParseException e) {
            reason = e.getMessage();
            logType = e.logType();
        } catch (RuntimeException e) {
            // A parser bug must not take the job down: the event is kept for a later replay.
            reason = "unexpected " + e;
        }
        deadLettersByType.inc(logType);
        // An unparseable event is still text: mask secrets in it, as in every other stored column.
        deadLetterOut.accept(deadLetter(ingestTime, "parse", reason, event,
                Redactor.redact(event.message()).getBytes(StandardCharsets.UTF_8)));
        return null;
    }

    /** A dead-letter row; counts it. */
    Row deadLetter(long ingestTime, String stage, String reason, RawLogEvent event, byte[] raw) {
        deadLetters.inc();
        tally.inc("deadLetters." + stage);
        boolean truncated = raw.length > MAX_DEAD_LETTER_BYTES;
        byte[] kept = truncated ? Arrays.copyOf(raw, MAX_DEAD_LETTER_BYTES) : raw;
        return Row.of(
                Schemas.utc(ingestTime),
                stage,
                reason,
                event == null ? null : event.envelope().logGroup(),
                event == null ? null : event.envelope().logStream(),
                event == null ? null : event.id(),
                Base64.getEncoder().encodeToString(kept),
                raw.length,
                truncated);
    }
}
