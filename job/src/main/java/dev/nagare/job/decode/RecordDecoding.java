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

import org.apache.flink.types.Row;
import org.apache.flink.util.ExceptionUtils;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.function.Consumer;
import java.util.zip.GZIPInputStream;

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
            items.accept(Decoded.deadLetter(undecodable(ingestMillis, e.getMessage(), record), null));
            return;
        } catch (Throwable t) {
            // A decoder bug must not take the job down: the record is kept for a later replay.
            ExceptionUtils.rethrowIfFatalErrorOrOOM(t);
            items.accept(Decoded.deadLetter(undecodable(ingestMillis, "unexpected " + describe(t), record), null));
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
            return Decoded.event(Schemas.logRowData(parser.parse(event, arrivalMillis, ingestMillis)));
        } catch (ParseException e) {
            reason = e.getMessage();
            logType = e.logType();
        } catch (Throwable t) {
            // A parser bug must not take the job down: the event is kept for a later replay.
            ExceptionUtils.rethrowIfFatalErrorOrOOM(t);
            reason = "unexpected " + describe(t);
        }
        // An unparseable event is still text: mask secrets in it, as in every other stored column.
        // The reason too: parser and JSON errors quote the input they stopped at.
        return Decoded.deadLetter(deadLetter(ingestMillis, "parse", redactedText(reason), event, redacted(event.message())), logType);
    }

    private static PartialChunk partialChunk(String message) {
        try {
            return FireLensParser.partialChunk(message);
        } catch (Throwable t) {
            ExceptionUtils.rethrowIfFatalErrorOrOOM(t);
            return null; // not a chunk we can place: it is parsed as a whole line, which keeps it
        }
    }

    /**
     * The dead letter of a record that did not decode. Its bytes are compressed or binary (a cut
     * gzip stream, a KPL aggregate with a bad checksum, an envelope of an unknown type), so secrets
     * in them cannot be masked in place, and deflate keeps text literally: the bytes themselves are
     * never stored. Kept instead, in raw_base64: a first line {@code sha256:<hex of the record>}
     * (to find the record in the stream or a replay file; raw_size is its size), then a masked text
     * preview: what inflates of a gzip record before it breaks, else the bytes as text, bounded,
     * then redacted like any row. {@code truncated} is true: the record is not kept whole.
     */
    private Row undecodable(long ingestMillis, String reason, byte[] record) {
        String preview = PREVIEW_HASH_PREFIX + sha256(record) + "\n" + redactedText(previewText(record));
        byte[] kept = preview.getBytes(StandardCharsets.UTF_8);
        return Row.of(
                Schemas.utc(ingestMillis),
                "decode",
                redactedText(reason), // decoder errors may quote the input
                null,
                null,
                null,
                Base64.getEncoder().encodeToString(kept),
                record.length,
                true);
    }

    /** The first line of a decode-stage dead letter's raw_base64, before the record's SHA-256 in hex. */
    public static final String PREVIEW_HASH_PREFIX = "sha256:";

    /** Chars of a decode-stage dead letter's preview. */
    static final int PREVIEW_CHARS = 64 * 1024;

    /**
     * The record's text as far as it can be read: gzip inflated until it breaks, else the bytes;
     * JSON string escapes undone once, other control characters shown as '.'.
     */
    static String previewText(byte[] record) {
        byte[] bytes = record;
        if (record.length >= 2 && (record[0] & 0xff) == 0x1f && (record[1] & 0xff) == 0x8b) {
            ByteArrayOutputStream inflated = new ByteArrayOutputStream();
            byte[] buffer = new byte[8192];
            try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(record))) {
                int read;
                while (inflated.size() < PREVIEW_CHARS * 4 && (read = in.read(buffer)) > 0) {
                    inflated.write(buffer, 0, read);
                }
            } catch (IOException | RuntimeException e) {
                // Cut or corrupt: what inflated before the break is the preview.
            }
            bytes = inflated.toByteArray();
        }
        String text = new String(bytes, 0, Math.min(bytes.length, PREVIEW_CHARS * 4), StandardCharsets.UTF_8);
        // The log lines sit inside the envelope's JSON strings: their escapes are undone once, so
        // the redactor sees "password":"x" as the application wrote it, not \"password\":\"x\".
        StringBuilder out = new StringBuilder(Math.min(text.length(), PREVIEW_CHARS));
        for (int i = 0; i < text.length() && out.length() < PREVIEW_CHARS; i++) {
            char c = text.charAt(i);
            if (c == '\\' && i + 1 < text.length()) {
                char e = text.charAt(i + 1);
                if (e == '"' || e == '\\' || e == '/') {
                    out.append(e);
                    i++;
                    continue;
                }
                if (e == 'n' || e == 't') {
                    out.append(e == 'n' ? '\n' : '\t');
                    i++;
                    continue;
                }
            }
            out.append(c < 0x20 && c != '\n' && c != '\t' ? '.' : c);
        }
        return out.toString();
    }

    private static String sha256(byte[] bytes) {
        try {
            StringBuilder hex = new StringBuilder(64);
            for (byte b : MessageDigest.getInstance("SHA-256").digest(bytes)) {
                hex.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
            }
            return hex.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    private byte[] redacted(String message) {
        return redactedText(message).getBytes(StandardCharsets.UTF_8);
    }

    private String redactedText(String message) {
        String text;
        try {
            text = parser.redactor().mask(message);
        } catch (Throwable t) {
            ExceptionUtils.rethrowIfFatalErrorOrOOM(t);
            // Never store what could not be masked.
            text = "(withheld: the text could not be redacted: " + describe(t) + ")";
        }
        return text;
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
