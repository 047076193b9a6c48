package dev.nagare.job.decode;

import dev.nagare.job.schema.Schemas;
import dev.nagare.udf.decode.DecodeException;
import dev.nagare.udf.decode.DecodedRecord;
import dev.nagare.udf.decode.RawLogEvent;
import dev.nagare.udf.decode.RecordDecoder;
import dev.nagare.udf.parse.EventParser;
import dev.nagare.udf.parse.FireLensParser;
import dev.nagare.udf.parse.FireLensParser.PartialChunk;
import dev.nagare.udf.parse.ParseException;
import dev.nagare.udf.redact.Redactor;

import org.apache.flink.types.Row;
import org.apache.flink.util.ExceptionUtils;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.function.Consumer;

/**
 * Turns one Kinesis record into {@link Decoded} items: decode (gzip envelope, KPL, text), then
 * parse each event. Total by construction: whatever a record holds, the outcome is events, dead
 * letters with the stage and reason, or partial chunks; only a JVM-fatal error (out of memory,
 * internal error) escapes. A record can therefore never fail the task and restart the job.
 */
public final class RecordDecoding implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Raw bytes kept per dead letter: a whole 10 MiB Kinesis record, so nothing is lost. */
    static final int MAX_DEAD_LETTER_BYTES = 10 * 1024 * 1024;

    private final EventParser parser;
    private final long maxRecordBytes;
    private final int maxEventsPerRecord;

    private transient RecordDecoder decoder;

    public RecordDecoding(EventParser parser, long maxRecordBytes, int maxEventsPerRecord) {
        this.parser = parser;
        this.maxRecordBytes = maxRecordBytes;
        this.maxEventsPerRecord = maxEventsPerRecord;
    }

    public EventParser parser() {
        return parser;
    }

    /**
     * Emits the record's items, the first flagged as the start of the record.
     *
     * @param arrivalMillis when Kinesis received the record; null when unknown
     * @param ingestMillis when the job read it
     */
    public void decode(byte[] record, Long arrivalMillis, long ingestMillis, Consumer<Row> out) {
        FirstFlagging items = new FirstFlagging(out);
        DecodedRecord decoded;
        try {
            decoded = decoder().decode(record);
        } catch (DecodeException e) {
            items.accept(Decoded.deadLetter(deadLetter(ingestMillis, "decode", e.getMessage(), null, record), null));
            return;
        } catch (Throwable t) {
            // A decoder bug must not take the job down: the record is kept for a later replay.
            ExceptionUtils.rethrowIfFatalErrorOrOOM(t);
            items.accept(Decoded.deadLetter(deadLetter(ingestMillis, "decode", "unexpected " + describe(t), null, record), null));
            return;
        }
        if (decoded.kind() == DecodedRecord.Kind.CWL_CONTROL) {
            items.accept(Decoded.marker(Decoded.CONTROL));
            return;
        }
        for (RawLogEvent event : decoded.events()) {
            if (event.envelope() == RawLogEvent.Envelope.NONE) {
                PartialChunk chunk = partialChunk(event.message());
                if (chunk != null) {
                    chunk.arrivalMillis = arrivalMillis;
                    items.accept(Decoded.partial(chunk));
                    continue;
                }
            }
            items.accept(parse(event, arrivalMillis, ingestMillis));
        }
        if (!items.any) {
            items.accept(Decoded.marker(Decoded.EMPTY));
        }
    }

    /** One event's item: its {@code logs} row, or a dead letter with the reason. */
    public Row parse(RawLogEvent event, Long arrivalMillis, long ingestMillis) {
        String reason;
        String logType = null;
        try {
            return Decoded.event(Schemas.logRow(parser.parse(event, arrivalMillis, ingestMillis)));
        } catch (ParseException e) {
            reason = e.getMessage();
            logType = e.logType();
        } catch (Throwable t) {
            // A parser bug must not take the job down: the event is kept for a later replay.
            ExceptionUtils.rethrowIfFatalErrorOrOOM(t);
            reason = "unexpected " + describe(t);
        }
        // An unparseable event is still text: mask secrets in it, as in every other stored column.
        return Decoded.deadLetter(deadLetter(ingestMillis, "parse", reason, event, redacted(event.message())), logType);
    }

    private static PartialChunk partialChunk(String message) {
        try {
            return FireLensParser.partialChunk(message);
        } catch (Throwable t) {
            ExceptionUtils.rethrowIfFatalErrorOrOOM(t);
            return null; // not a chunk we can place: it is parsed as a whole line, which keeps it
        }
    }

    private static byte[] redacted(String message) {
        String text;
        try {
            text = Redactor.redact(message);
        } catch (Throwable t) {
            ExceptionUtils.rethrowIfFatalErrorOrOOM(t);
            // Never store what could not be masked.
            text = "(withheld: the text could not be redacted: " + describe(t) + ")";
        }
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** A dead-letter row. */
    public static Row deadLetter(long ingestMillis, String stage, String reason, RawLogEvent event, byte[] raw) {
        boolean truncated = raw.length > MAX_DEAD_LETTER_BYTES;
        byte[] kept = truncated ? Arrays.copyOf(raw, MAX_DEAD_LETTER_BYTES) : raw;
        return Row.of(
                Schemas.utc(ingestMillis),
                stage,
                reason,
                event == null ? null : event.envelope().logGroup(),
                event == null ? null : event.envelope().logStream(),
                event == null ? null : event.id(),
                Base64.getEncoder().encodeToString(kept),
                raw.length,
                truncated);
    }

    /** The class and a bounded message: a reason column is not the place for a megabyte of input. */
    static String describe(Throwable t) {
        String text = String.valueOf(t);
        return text.length() > 500 ? text.substring(0, 500) + "..." : text;
    }

    private RecordDecoder decoder() {
        if (decoder == null) {
            decoder = new RecordDecoder(maxRecordBytes, maxEventsPerRecord);
        }
        return decoder;
    }

    /** Marks the first item of a record. */
    private static final class FirstFlagging implements Consumer<Row> {
        private final Consumer<Row> out;
        private boolean any;

        FirstFlagging(Consumer<Row> out) {
            this.out = out;
        }

        @Override
        public void accept(Row item) {
            if (!any) {
                item.setField(Decoded.FIRST_OF_RECORD, true);
                any = true;
            }
            out.accept(item);
        }
    }
}
