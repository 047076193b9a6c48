package dev.nagare.udf.decode;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Turns the raw bytes of one Kinesis record into log events by sniffing them (LOG_FORMATS.md
 * section 0): a gzip member is a CloudWatch Logs subscription envelope, a KPL aggregate holds
 * several user records, a zlib stream is one compressed record, a JSON document is one event,
 * anything else is one line of UTF-8 text.
 *
 * <p>Two bounds hold per Kinesis record, whatever it holds: the bytes it decompresses to, counted
 * across all its gzip and zlib members (those of every KPL user record included), and the log
 * events it yields. Decompression stops as soon as the first is passed, so memory stays bounded
 * by it. Past either bound, or for bytes that are not what they claim to be, {@link #decode}
 * throws {@link DecodeException} and nothing else.
 *
 * <p>The envelope is read with a streaming parser, so a 10 MiB record costs its decompressed
 * bytes and the message strings, not a JSON tree several times that size. Thread-safe.
 */
public final class RecordDecoder {

    /**
     * Default of {@code parse.max-record-bytes}: decompressed bytes allowed per record. A 10 MiB
     * Kinesis record of compressed CWL JSON fits, a gzip bomb does not.
     */
    public static final long DEFAULT_MAX_DECOMPRESSED_BYTES = 128L * 1024 * 1024;

    /** Default of {@code parse.max-events-per-record}. */
    public static final int DEFAULT_MAX_EVENTS_PER_RECORD = 100_000;

    /** The most one decompressed member can hold: the largest array a JVM allocates. */
    private static final int MAX_ARRAY = Integer.MAX_VALUE - 8;

    private static final JsonFactory JSON = new JsonFactory();

    /**
     * One inflater of each kind per thread, reset between records: creating one per record
     * allocated and freed zlib's native state (its 32 KiB window and tables) for every record.
     * Per thread, so one decoder stays safe to share.
     */
    private static final ThreadLocal<Inflater> GZIP_INFLATER = ThreadLocal.withInitial(() -> new Inflater(true));
    private static final ThreadLocal<Inflater> ZLIB_INFLATER = ThreadLocal.withInitial(Inflater::new);

    /**
     * Each thread's decompression buffer, reused from record to record: a new buffer per record
     * (and its copies as it doubled to the record's size) was a fifth of the bytes decode and
     * parse allocated. Safe to reuse because nothing outlives a record's decoding but strings
     * copied out of it, and one thread decodes one member at a time (a nested payload is
     * rejected, never decoded recursively). One record of more than {@link #MAX_KEPT_BUFFER}
     * does not pin its buffer to the thread.
     */
    private static final ThreadLocal<byte[][]> BUFFER = ThreadLocal.withInitial(() -> new byte[1][]);
    static final int MAX_KEPT_BUFFER = 4 << 20;

    /** The size of this thread's kept decompression buffer, 0 before its first record (for tests). */
    static int keptBufferBytes() {
        byte[] kept = BUFFER.get()[0];
        return kept == null ? 0 : kept.length;
    }

    private final long maxDecompressedBytes;
    private final int maxEventsPerRecord;

    public RecordDecoder() {
        this(DEFAULT_MAX_DECOMPRESSED_BYTES, DEFAULT_MAX_EVENTS_PER_RECORD);
    }

    /**
     * @param maxDecompressedBytes decompressed bytes allowed per record, across all its members
     * @param maxEventsPerRecord log events allowed per record
     */
    public RecordDecoder(long maxDecompressedBytes, int maxEventsPerRecord) {
        if (maxDecompressedBytes < 1 || maxEventsPerRecord < 1) {
            throw new IllegalArgumentException("maxDecompressedBytes and maxEventsPerRecord must be positive");
        }
        this.maxDecompressedBytes = maxDecompressedBytes;
        this.maxEventsPerRecord = maxEventsPerRecord;
    }

    public DecodedRecord decode(byte[] data) throws DecodeException {
        if (data == null || data.length == 0) {
            throw new DecodeException("empty record");
        }
        Budget budget = new Budget();
        if (KplAggregate.isAggregate(data)) {
            List<RawLogEvent> events = new ArrayList<>();
            KplAggregate.forEachRecord(data, inner -> {
                if (KplAggregate.isAggregate(inner)) {
                    throw new DecodeException("KPL aggregated record nested in another");
                }
                if (inner.length > 0) {
                    events.addAll(decodeMember(inner, budget).events());
                }
            });
            return new DecodedRecord(DecodedRecord.Kind.KPL_AGGREGATE, events);
        }
        return decodeMember(data, budget);
    }

    /** One gzip, zlib or plain payload: the whole record, or one user record of a KPL aggregate. */
    private DecodedRecord decodeMember(byte[] data, Budget budget) throws DecodeException {
        if (isGzip(data)) {
            Expansion gunzipped = gunzip(data, budget);
            return decodeDocument(gunzipped.bytes, gunzipped.length, true, budget);
        }
        if (isZlib(data)) {
            Expansion inflated = inflate(data, budget);
            return decodeDocument(inflated.bytes, inflated.length, false, budget);
        }
        return decodeDocument(data, data.length, false, budget);
    }

    private DecodedRecord decodeDocument(byte[] bytes, int length, boolean wasGzip, Budget budget) throws DecodeException {
        int start = firstNonWhitespace(bytes, length);
        boolean object = start < length && bytes[start] == '{';
        if (!object) {
            if (wasGzip && length >= 3 && isGzip(bytes)) {
                throw new DecodeException("gzip payload is itself gzip-compressed (a nested gzip member is not a CloudWatch Logs envelope)");
            }
            if (wasGzip) {
                throw new DecodeException("gzip payload is not a CloudWatch Logs envelope (no JSON object)");
            }
            return single(DecodedRecord.Kind.TEXT, bytes, length, budget);
        }
        if (wasGzip || looksLikeEnvelope(bytes, length)) {
            try {
                return envelope(bytes, length, budget);
            } catch (NotAnEnvelope e) {
                if (wasGzip) {
                    throw new DecodeException("gzip payload is a JSON object without messageType, not a CloudWatch Logs envelope");
                }
            } catch (JsonParseException e) {
                if (wasGzip) {
                    // A gzip member must be a CWL envelope; malformed JSON inside is not a log line.
                    throw new DecodeException("gzip payload is not valid JSON: " + firstLine(e.getOriginalMessage()));
                }
            } catch (IOException e) {
                // Without the cause: Jackson's exception holds the parser and its input, the
                // thread's decompression buffer, which the next record overwrites.
                throw new DecodeException("unreadable JSON payload: " + e.getMessage());
            }
        }
        // One JSON document (FireLens and other shippers); the parser decides what it is.
        return single(DecodedRecord.Kind.JSON, bytes, length, budget);
    }

    /** A cheap look for the envelope's key before paying for a parse of an ordinary JSON record. */
    private static boolean looksLikeEnvelope(byte[] bytes, int length) {
        String head = new String(bytes, 0, Math.min(length, 512), StandardCharsets.UTF_8);
        return head.contains("\"messageType\"");
    }

    private static final class NotAnEnvelope extends Exception {
        private static final long serialVersionUID = 1L;
    }

    private DecodedRecord envelope(byte[] bytes, int length, Budget budget) throws IOException, DecodeException, NotAnEnvelope {
        String messageType = null;
        String owner = null;
        String logGroup = null;
        String logStream = null;
        String policyLevel = null;
        List<String> filters = new ArrayList<>();
        // Events are read before the envelope fields may have been seen (key order is not
        // guaranteed), so they are kept as parts and bound to the envelope at the end.
        List<Object[]> parts = null;
        try (JsonParser p = JSON.createParser(bytes, 0, length)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new NotAnEnvelope();
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.getCurrentName();
                JsonToken value = p.nextToken();
                switch (field) {
                    case "messageType":
                        messageType = scalar(p, value);
                        break;
                    case "owner":
                        owner = scalar(p, value);
                        break;
                    case "logGroup":
                        logGroup = scalar(p, value);
                        break;
                    case "logStream":
                        logStream = scalar(p, value);
                        break;
                    case "policyLevel":
                        policyLevel = scalar(p, value);
                        break;
                    case "subscriptionFilters":
                        if (value == JsonToken.START_ARRAY) {
                            JsonToken item;
                            while ((item = p.nextToken()) != JsonToken.END_ARRAY && item != null) {
                                String filter = scalar(p, item);
                                if (filter != null) {
                                    filters.add(filter);
                                }
                            }
                        } else {
                            p.skipChildren();
                        }
                        break;
                    case "logEvents":
                        if (value != JsonToken.START_ARRAY) {
                            throw new DecodeException("CloudWatch Logs envelope has no logEvents array");
                        }
                        parts = new ArrayList<>();
                        while (p.nextToken() == JsonToken.START_OBJECT) {
                            // Checked as they are read: a record of a million tiny events stops here, not after.
                            budget.checkEvents(parts.size() + 1);
                            parts.add(event(p));
                        }
                        break;
                    default:
                        p.skipChildren(); // unknown fields appear as AWS adds them: ignore
                }
            }
        }
        if (messageType == null) {
            throw new NotAnEnvelope();
        }
        if ("CONTROL_MESSAGE".equals(messageType)) {
            return new DecodedRecord(DecodedRecord.Kind.CWL_CONTROL, List.of());
        }
        if (!"DATA_MESSAGE".equals(messageType)) {
            throw new DecodeException("unknown CloudWatch Logs messageType '" + abbreviate(messageType) + "'");
        }
        if (parts == null) {
            throw new DecodeException("CloudWatch Logs envelope has no logEvents array");
        }
        budget.addEvents(parts.size());
        RawLogEvent.Envelope envelope = new RawLogEvent.Envelope(
                owner, logGroup, logStream, filters.isEmpty() ? null : String.join(",", filters), policyLevel);
        List<RawLogEvent> events = new ArrayList<>(parts.size());
        for (Object[] part : parts) {
            events.add(new RawLogEvent(envelope, (String) part[0], (Long) part[1], (String) part[2]));
        }
        return new DecodedRecord(DecodedRecord.Kind.CWL_DATA, events);
    }

    /** One {@code logEvents[]} item as {id, timestamp, message}. */
    private static Object[] event(JsonParser p) throws IOException {
        String id = null;
        Long timestamp = null;
        String message = "";
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.getCurrentName();
            JsonToken value = p.nextToken();
            switch (field) {
                case "id":
                    // A ~56-digit number kept as text: it does not fit in a long.
                    id = scalar(p, value);
                    break;
                case "timestamp":
                    // A number past a long is no time at all (rather than a failed record).
                    timestamp = value == JsonToken.VALUE_NUMBER_INT && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER
                            ? p.getLongValue() : null;
                    break;
                case "message":
                    String text = scalar(p, value);
                    message = text == null ? "" : text;
                    break;
                default:
                    p.skipChildren();
            }
        }
        return new Object[] {id, timestamp, message};
    }

    private static String scalar(JsonParser p, JsonToken token) throws IOException {
        if (token == JsonToken.VALUE_NULL) {
            return null;
        }
        if (token == JsonToken.START_OBJECT || token == JsonToken.START_ARRAY) {
            p.skipChildren();
            return null;
        }
        return p.getText();
    }

    private static DecodedRecord single(DecodedRecord.Kind kind, byte[] bytes, int length, Budget budget) throws DecodeException {
        checkUtf8Text(bytes, length);
        budget.addEvents(1);
        String text = trimNewline(new String(bytes, 0, length, StandardCharsets.UTF_8));
        return new DecodedRecord(kind, List.of(new RawLogEvent(RawLogEvent.Envelope.NONE, null, null, text)));
    }

    /**
     * Strict UTF-8 (RFC 3629: no overlong forms, surrogates or code points past U+10FFFF) without
     * NUL: what a log line is. Random binary fails here instead of becoming a line of U+FFFD.
     */
    static void checkUtf8Text(byte[] bytes, int length) throws DecodeException {
        int i = 0;
        while (i < length) {
            int b = bytes[i] & 0xff;
            if (b < 0x80) {
                if (b == 0) {
                    throw new DecodeException("record is not UTF-8 text (NUL byte at offset " + i + ")");
                }
                i++;
                continue;
            }
            int continuation;
            int secondMin = 0x80;
            int secondMax = 0xBF;
            if (b >= 0xC2 && b <= 0xDF) {
                continuation = 1;
            } else if (b >= 0xE0 && b <= 0xEF) {
                continuation = 2;
                if (b == 0xE0) {
                    secondMin = 0xA0; // overlong below U+0800
                } else if (b == 0xED) {
                    secondMax = 0x9F; // UTF-16 surrogates
                }
            } else if (b >= 0xF0 && b <= 0xF4) {
                continuation = 3;
                if (b == 0xF0) {
                    secondMin = 0x90; // overlong below U+10000
                } else if (b == 0xF4) {
                    secondMax = 0x8F; // past U+10FFFF
                }
            } else {
                throw notUtf8(i);
            }
            if (i + continuation >= length) {
                throw notUtf8(i);
            }
            int second = bytes[i + 1] & 0xff;
            if (second < secondMin || second > secondMax) {
                throw notUtf8(i);
            }
            for (int k = 2; k <= continuation; k++) {
                if ((bytes[i + k] & 0xC0) != 0x80) {
                    throw notUtf8(i);
                }
            }
            i += continuation + 1;
        }
    }

    private static DecodeException notUtf8(int offset) {
        return new DecodeException("record is not UTF-8 text (invalid byte sequence at offset " + offset + ")");
    }

    /**
     * Inflates every gzip member of the payload (RFC 1952), checking each trailer. Read here
     * rather than by {@link java.util.zip.GZIPInputStream}, which recurses once per member: a
     * record of half a million empty members overflowed its stack.
     */
    private Expansion gunzip(byte[] data, Budget budget) throws DecodeException {
        Expansion out = new Expansion(budget, data.length);
        Inflater inflater = GZIP_INFLATER.get();
        CRC32 crc = new CRC32();
        try {
            int pos = 0;
            do {
                pos = gzipHeaderEnd(data, pos);
                int memberStart = out.length;
                inflater.reset();
                inflater.setInput(data, pos, data.length - pos);
                crc.reset();
                inflateAll(inflater, out, crc, "gzip");
                pos = data.length - inflater.getRemaining();
                if (data.length - pos < 8) {
                    throw new DecodeException("truncated gzip stream");
                }
                if (intLE(data, pos) != (int) crc.getValue() || intLE(data, pos + 4) != out.length - memberStart) {
                    throw new DecodeException("corrupt gzip stream: Corrupt GZIP trailer");
                }
                pos += 8;
                // Another member may follow; other trailing bytes are ignored, as GZIPInputStream does.
            } while (data.length - pos >= 2 && (data[pos] & 0xff) == 0x1f && (data[pos + 1] & 0xff) == 0x8b);
        } catch (DataFormatException e) {
            throw new DecodeException("corrupt gzip stream: " + e.getMessage(), e);
        } finally {
            inflater.reset(); // also lets go of this record's bytes
        }
        return out.done();
    }

    private static final int FHCRC = 2;
    private static final int FEXTRA = 4;
    private static final int FNAME = 8;
    private static final int FCOMMENT = 16;

    /** The offset after the gzip member header at {@code pos}. */
    private static int gzipHeaderEnd(byte[] data, int pos) throws DecodeException {
        int n = data.length;
        if (n - pos < 10) {
            throw new DecodeException("truncated gzip stream");
        }
        if ((data[pos] & 0xff) != 0x1f || (data[pos + 1] & 0xff) != 0x8b) {
            throw new DecodeException("corrupt gzip stream: Not in GZIP format");
        }
        if (data[pos + 2] != 8) {
            throw new DecodeException("corrupt gzip stream: Unsupported compression method");
        }
        int flags = data[pos + 3] & 0xff;
        int i = pos + 10;
        if ((flags & FEXTRA) != 0) {
            if (n - i < 2) {
                throw new DecodeException("truncated gzip stream");
            }
            int extra = (data[i] & 0xff) | (data[i + 1] & 0xff) << 8;
            if (n - i - 2 < extra) {
                throw new DecodeException("truncated gzip stream");
            }
            i += 2 + extra;
        }
        for (int field : new int[] {FNAME, FCOMMENT}) {
            if ((flags & field) != 0) {
                while (i < n && data[i] != 0) {
                    i++;
                }
                if (i == n) {
                    throw new DecodeException("truncated gzip stream");
                }
                i++;
            }
        }
        if ((flags & FHCRC) != 0) {
            if (n - i < 2) {
                throw new DecodeException("truncated gzip stream");
            }
            CRC32 crc = new CRC32();
            crc.update(data, pos, i - pos);
            if (((data[i] & 0xff) | (data[i + 1] & 0xff) << 8) != (int) (crc.getValue() & 0xffff)) {
                throw new DecodeException("corrupt gzip stream: Corrupt GZIP header");
            }
            i += 2;
        }
        return i;
    }

    private static int intLE(byte[] data, int at) {
        return (data[at] & 0xff) | (data[at + 1] & 0xff) << 8 | (data[at + 2] & 0xff) << 16 | (data[at + 3] & 0xff) << 24;
    }

    private Expansion inflate(byte[] data, Budget budget) throws DecodeException {
        Expansion out = new Expansion(budget, data.length);
        Inflater inflater = ZLIB_INFLATER.get();
        try {
            inflater.setInput(data);
            inflateAll(inflater, out, null, "zlib");
            return out.done();
        } catch (DataFormatException e) {
            throw new DecodeException("corrupt zlib stream: " + e.getMessage(), e);
        } finally {
            inflater.reset();
        }
    }

    /** Inflates to the end of the deflate stream (or the bound), updating {@code crc} when given. */
    private static void inflateAll(Inflater inflater, Expansion out, CRC32 crc, String what)
            throws DataFormatException, DecodeException {
        int idle = 0;
        while (!inflater.finished()) {
            int room = out.room();
            int n = inflater.inflate(out.bytes, out.length, room);
            if (n == 0 && !inflater.finished()) {
                if (inflater.needsInput()) {
                    throw new DecodeException("truncated " + what + " stream");
                }
                if (inflater.needsDictionary()) {
                    throw new DecodeException(what + " stream needs a preset dictionary");
                }
                if (++idle > 16) {
                    throw new DecodeException("corrupt " + what + " stream: inflating makes no progress");
                }
            }
            if (crc != null) {
                crc.update(out.bytes, out.length, n);
            }
            out.wrote(n);
        }
    }

    /** What one Kinesis record has used of the two bounds so far, across all its members. */
    private final class Budget {
        private long bytes;
        private int events;

        long remainingBytes() {
            return maxDecompressedBytes - bytes;
        }

        void addBytes(int n) {
            bytes += n;
        }

        DecodeException tooLarge() {
            return new DecodeException("record expands past " + maxDecompressedBytes
                    + " bytes when decompressed (parse.max-record-bytes)");
        }

        /** Fails when {@code more} events on top of those counted would pass the bound. */
        void checkEvents(int more) throws DecodeException {
            if ((long) events + more > maxEventsPerRecord) {
                throw new DecodeException("record holds more than " + maxEventsPerRecord
                        + " log events (parse.max-events-per-record)");
            }
        }

        void addEvents(int n) throws DecodeException {
            checkEvents(n);
            events += n;
        }
    }

    /**
     * The output of one decompression: grows by doubling, never past one byte more than the
     * record has left of its budget, so memory stays bounded by the budget and decompression
     * stops at the first byte past it.
     */
    private static final class Expansion {
        private final Budget budget;
        private final long allowed;
        private final int capacityLimit;
        byte[] bytes;
        int length;

        Expansion(Budget budget, int compressedLength) {
            this.budget = budget;
            this.allowed = budget.remainingBytes();
            this.capacityLimit = (int) Math.min(allowed + 1, MAX_ARRAY);
            int initial = (int) Math.min(Math.max(256L, compressedLength * 4L), capacityLimit);
            byte[] kept = BUFFER.get()[0];
            this.bytes = kept != null && kept.length >= initial ? kept : new byte[initial];
        }

        /**
         * Free bytes at the end of the buffer (at least one), never past the capacity limit: the
         * thread's buffer may be larger than what this record has left of its budget.
         */
        int room() throws DecodeException {
            int usable = Math.min(bytes.length, capacityLimit);
            if (length == usable) {
                if (usable >= capacityLimit) {
                    // Only reachable when the budget is larger than an array: past it, wrote() has thrown.
                    throw new DecodeException("record expands past " + MAX_ARRAY + " bytes in one member when decompressed");
                }
                bytes = Arrays.copyOf(bytes, (int) Math.min(bytes.length * 2L, capacityLimit));
                usable = bytes.length;
            }
            return usable - length;
        }

        void wrote(int n) throws DecodeException {
            length += n;
            if (length > allowed) {
                throw budget.tooLarge();
            }
        }

        Expansion done() {
            budget.addBytes(length);
            byte[][] kept = BUFFER.get();
            if (bytes.length <= MAX_KEPT_BUFFER && (kept[0] == null || bytes.length > kept[0].length)) {
                kept[0] = bytes;
            }
            return this;
        }
    }

    static boolean isGzip(byte[] data) {
        return data.length >= 3 && (data[0] & 0xff) == 0x1f && (data[1] & 0xff) == 0x8b && data[2] == 8;
    }

    /**
     * zlib header: deflate method, 32K window, no preset dictionary, and the check bits:
     * {@code 78 01/5E/9C/DA}. Without the dictionary bit, text starting {@code "x "}, {@code "x?"}
     * or {@code "x}"} passed for zlib and was dead-lettered as a truncated stream.
     */
    static boolean isZlib(byte[] data) {
        if (data.length < 2 || (data[0] & 0xff) != 0x78 || (data[1] & 0x20) != 0) {
            return false;
        }
        return (((data[0] & 0xff) << 8) | (data[1] & 0xff)) % 31 == 0;
    }

    private static int firstNonWhitespace(byte[] bytes, int length) {
        int i = 0;
        // Skip a UTF-8 byte order mark.
        if (length >= 3 && (bytes[0] & 0xff) == 0xEF && (bytes[1] & 0xff) == 0xBB && (bytes[2] & 0xff) == 0xBF) {
            i = 3;
        }
        while (i < length && (bytes[i] == ' ' || bytes[i] == '\n' || bytes[i] == '\r' || bytes[i] == '\t')) {
            i++;
        }
        return i;
    }

    private static String trimNewline(String s) {
        int end = s.length();
        while (end > 0 && (s.charAt(end - 1) == '\n' || s.charAt(end - 1) == '\r')) {
            end--;
        }
        int start = s.startsWith("\uFEFF") ? 1 : 0;
        return s.substring(start, Math.max(start, end));
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "malformed JSON";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }
}
