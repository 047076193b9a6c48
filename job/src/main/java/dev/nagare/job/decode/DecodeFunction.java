package dev.nagare.job.decode;

import dev.nagare.job.schema.Schemas;
import dev.nagare.udf.decode.DecodeException;
import dev.nagare.udf.decode.DecodedRecord;
import dev.nagare.udf.decode.RawLogEvent;
import dev.nagare.udf.decode.RecordDecoder;
import dev.nagare.udf.parse.EventParser;
import dev.nagare.udf.parse.FireLensParser;
import dev.nagare.udf.parse.FireLensParser.PartialChunk;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.table.runtime.typeutils.ExternalTypeInfo;
import org.apache.flink.types.Row;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;


/**
 * Decodes each Kinesis record into log events and parses each event into a {@code logs} row.
 * Nothing is dropped: a record that cannot be decoded, or an event that cannot be parsed, leaves
 * through {@link #DEAD_LETTERS} with its raw bytes and the reason, and no input can fail the job.
 * Pieces of FireLens lines split at 16 KiB leave through {@link #PARTIALS} to be reassembled.
 */
public final class DecodeFunction extends ProcessFunction<byte[], Row> {
    private static final long serialVersionUID = 1L;

    public static final TypeInformation<Row> LOG_ROW_TYPE = ExternalTypeInfo.of(Schemas.LOGS);
    public static final TypeInformation<Row> DEAD_LETTER_ROW_TYPE = ExternalTypeInfo.of(Schemas.DEAD_LETTER);
    public static final OutputTag<Row> DEAD_LETTERS = new OutputTag<>("dead-letters", DEAD_LETTER_ROW_TYPE);
    public static final OutputTag<PartialChunk> PARTIALS =
            new OutputTag<>("firelens-partials", TypeInformation.of(PartialChunk.class));

    /** The metric group under which the web UI shows Nagare's counters. */
    public static final String METRIC_GROUP = "nagare";

    private final EventParser parser;

    private transient RecordDecoder decoder;
    private transient EventRows rows;
    private transient Tally tally;
    private transient Counter records;
    private transient Counter controlMessages;
    private transient Counter partialChunks;

    public DecodeFunction(EventParser parser) {
        this.parser = parser;
    }

    @Override
    public void open(Configuration parameters) {
        decoder = new RecordDecoder();
        MetricGroup metrics = getRuntimeContext().getMetricGroup().addGroup(METRIC_GROUP);
        tally = new Tally(getRuntimeContext());
        rows = new EventRows(parser, metrics, tally);
        records = metrics.counter("records");
        controlMessages = metrics.counter("controlMessages");
        partialChunks = metrics.counter("partialChunks");
    }

    @Override
    public void processElement(byte[] record, Context ctx, Collector<Row> out) {
        records.inc();
        tally.inc("records");
        long ingestTime = ctx.timerService().currentProcessingTime();
        DecodedRecord decoded;
        try {
            decoded = decoder.decode(record);
        } catch (DecodeException e) {
            ctx.output(DEAD_LETTERS, rows.deadLetter(ingestTime, "decode", e.getMessage(), null, record));
            return;
        } catch (RuntimeException e) {
            // A decoder bug must not take the job down: the record is kept for a later replay.
            ctx.output(DEAD_LETTERS, rows.deadLetter(ingestTime, "decode", "unexpected " + e, null, record));
            return;
        }
        if (decoded.kind() == DecodedRecord.Kind.CWL_CONTROL) {
            controlMessages.inc();
            tally.inc("controlMessages");
            return;
        }
        for (RawLogEvent event : decoded.events()) {
            if (event.envelope() == RawLogEvent.Envelope.NONE) {
                PartialChunk chunk = FireLensParser.partialChunk(event.message());
                if (chunk != null) {
                    partialChunks.inc();
                    ctx.output(PARTIALS, chunk);
                    continue;
                }
            }
            Row row = rows.parse(event, ingestTime, deadLetter -> ctx.output(DEAD_LETTERS, deadLetter));
            if (row != null) {
                out.collect(row);
            }
        }
    }
}
