package dev.nagare.job.decode;

import dev.nagare.job.schema.Schemas;
import dev.nagare.udf.decode.DecodeException;
import dev.nagare.udf.decode.DecodedRecord;
import dev.nagare.udf.decode.RawLogEvent;
import dev.nagare.udf.decode.RecordDecoder;
import dev.nagare.udf.parse.EventParser;
import dev.nagare.udf.parse.NormalizedEvent;
import dev.nagare.udf.parse.ParseException;
import dev.nagare.udf.redact.Redactor;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.table.runtime.typeutils.ExternalTypeInfo;
import org.apache.flink.types.Row;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

/**
 * Decodes each Kinesis record into log events and parses each event into a {@code logs} row.
 * Nothing is dropped: a record that cannot be decoded, or an event that cannot be parsed, leaves
 * through {@link #DEAD_LETTERS} with its raw bytes and the reason, and no input can fail the job.
 */
public final class DecodeFunction extends ProcessFunction<byte[], Row> {
    private static final long serialVersionUID = 1L;

    /** Raw bytes kept per dead letter; larger payloads are cut and marked as truncated. */
    static final int MAX_DEAD_LETTER_BYTES = 1024 * 1024;

    public static final TypeInformation<Row> LOG_ROW_TYPE = ExternalTypeInfo.of(Schemas.LOGS);
    public static final TypeInformation<Row> DEAD_LETTER_ROW_TYPE = ExternalTypeInfo.of(Schemas.DEAD_LETTER);
    public static final OutputTag<Row> DEAD_LETTERS = new OutputTag<>("dead-letters", DEAD_LETTER_ROW_TYPE);

    /** The metric group under which the web UI shows this operator's counters. */
    public static final String METRIC_GROUP = "nagare";

    private final EventParser parser;

    private transient RecordDecoder decoder;
    private transient Counter records;
    private transient Counter events;
    private transient Counter controlMessages;
    private transient Counter deadLetters;
    private transient Map<String, Counter> eventsByType;
    private transient MetricGroup metrics;

    public DecodeFunction(EventParser parser) {
        this.parser = parser;
    }

    @Override
    public void open(Configuration parameters) {
        decoder = new RecordDecoder();
        metrics = getRuntimeContext().getMetricGroup().addGroup(METRIC_GROUP);
        records = metrics.counter("records");
        events = metrics.counter("events");
        controlMessages = metrics.counter("controlMessages");
        deadLetters = metrics.counter("deadLetters");
        eventsByType = new HashMap<>();
    }

    @Override
    public void processElement(byte[] record, Context ctx, Collector<Row> out) {
        records.inc();
        long ingestTime = ctx.timerService().currentProcessingTime();
        DecodedRecord decoded;
        try {
            decoded = decoder.decode(record);
        } catch (DecodeException e) {
            deadLetter(ctx, ingestTime, "decode", e.getMessage(), null, record);
            return;
        } catch (RuntimeException e) {
            // A decoder bug must not take the job down: the record is kept for a later replay.
            deadLetter(ctx, ingestTime, "decode", "unexpected " + e, null, record);
            return;
        }
        if (decoded.kind() == DecodedRecord.Kind.CWL_CONTROL) {
            controlMessages.inc();
            return;
        }
        for (RawLogEvent event : decoded.events()) {
            NormalizedEvent parsed;
            Row row;
            try {
                parsed = parser.parse(event, ingestTime);
                row = Schemas.logRow(parsed);
            } catch (ParseException e) {
                deadLetter(ctx, ingestTime, "parse", e.getMessage(), event, redactedBytes(event));
                continue;
            } catch (RuntimeException e) {
                deadLetter(ctx, ingestTime, "parse", "unexpected " + e, event, redactedBytes(event));
                continue;
            }
            events.inc();
            eventsByType.computeIfAbsent(parsed.logType, t -> metrics.addGroup("log_type", t).counter("events")).inc();
            out.collect(row);
        }
    }

    /** An unparseable event is still text: mask secrets in it, as in every other stored column. */
    private static byte[] redactedBytes(RawLogEvent event) {
        return Redactor.redact(event.message()).getBytes(StandardCharsets.UTF_8);
    }

    private void deadLetter(Context ctx, long ingestTime, String stage, String reason, RawLogEvent event, byte[] raw) {
        deadLetters.inc();
        boolean truncated = raw.length > MAX_DEAD_LETTER_BYTES;
        byte[] kept = truncated ? Arrays.copyOf(raw, MAX_DEAD_LETTER_BYTES) : raw;
        ctx.output(
                DEAD_LETTERS,
                Row.of(
                        Schemas.utc(ingestTime),
                        stage,
                        reason,
                        event == null ? null : event.envelope().logGroup(),
                        event == null ? null : event.envelope().logStream(),
                        event == null ? null : event.id(),
                        Base64.getEncoder().encodeToString(kept),
                        raw.length,
                        truncated));
    }
}
