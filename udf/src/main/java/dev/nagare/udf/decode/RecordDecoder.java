package dev.nagare.udf.decode;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.DataFormatException;
import java.util.zip.GZIPInputStream;
import java.util.zip.Inflater;
import java.util.zip.ZipException;

/**
 * Turns the raw bytes of one Kinesis record into log events by sniffing them (LOG_FORMATS.md
 * section 0): a gzip member is a CloudWatch Logs subscription envelope, a KPL aggregate holds
 * several user records, a zlib stream is one compressed record, a JSON document is one event,
 * anything else is one line of text.
 *
 * <p>The envelope is read with a streaming parser, so a 10 MiB record costs its decompressed
 * bytes and the message strings, not a JSON tree several times that size. Thread-safe.
 */
public final class RecordDecoder {

    /**
     * Decompressed bytes allowed per record: a 10 MiB Kinesis record of compressed CWL JSON fits,
     * a gzip bomb does not.
     */
    public static final int DEFAULT_MAX_DECOMPRESSED_BYTES = 128 * 1024 * 1024;

    private static final JsonFactory JSON = new JsonFactory();

    private final int maxDecompressedBytes;

    public RecordDecoder() {
        this(DEFAULT_MAX_DECOMPRESSED_BYTES);
    }

    public RecordDecoder(int maxDecompressedBytes) {
        this.maxDecompressedBytes = maxDecompressedBytes;
    }

    public DecodedRecord decode(byte[] data) throws DecodeException {
        if (data == null || data.length == 0) {
            throw new DecodeException("empty record");
        }
        if (KplAggregate.isAggregate(data)) {
            List<RawLogEvent> events = new ArrayList<>();
            for (byte[] inner : KplAggregate.deaggregate(data)) {
                if (KplAggregate.isAggregate(inner)) {
                    throw new DecodeException("KPL aggregated record nested in another");
                }
                if (inner.length > 0) {
                    events.addAll(decode(inner).events());
                }
            }
            return new DecodedRecord(DecodedRecord.Kind.KPL_AGGREGATE, events);
        }
        if (isGzip(data)) {
            return decodeDocument(gunzip(data), true);
        }
        if (isZlib(data)) {
            return decodeDocument(inflate(data), false);
        }
        return decodeDocument(data, false);
    }

    private DecodedRecord decodeDocument(byte[] bytes, boolean wasGzip) throws DecodeException {
        int start = firstNonWhitespace(bytes);
        boolean object = start < bytes.length && bytes[start] == '{';
        if (!object) {
            if (wasGzip) {
                throw new DecodeException("gzip payload is not a CloudWatch Logs envelope (no JSON object)");
            }
            return single(DecodedRecord.Kind.TEXT, bytes);
        }
        if (wasGzip || looksLikeEnvelope(bytes)) {
            try {
                return envelope(bytes);
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
                throw new DecodeException("unreadable JSON payload: " + e.getMessage(), e);
            }
        }
        // One JSON document (FireLens and other shippers); the parser decides what it is.
        return single(DecodedRecord.Kind.JSON, bytes);
    }

    /** A cheap look for the envelope's key before paying for a parse of an ordinary JSON record. */
    private static boolean looksLikeEnvelope(byte[] bytes) {
        int limit = Math.min(bytes.length, 512);
        String head = new String(bytes, 0, limit, StandardCharsets.UTF_8);
        return head.contains("\"messageType\"");
    }

    private static final class NotAnEnvelope extends Exception {
        private static final long serialVersionUID = 1L;
    }

    private static DecodedRecord envelope(byte[] bytes) throws IOException, DecodeException, NotAnEnvelope {
        String messageType = null;
        String owner = null;
        String logGroup = null;
        String logStream = null;
        String policyLevel = null;
        List<String> filters = new ArrayList<>();
        // Events are read before the envelope fields may have been seen (key order is not
        // guaranteed), so they are kept as parts and bound to the envelope at the end.
        List<Object[]> parts = null;
        try (JsonParser p = JSON.createParser(bytes)) {
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
                            while (p.nextToken() != JsonToken.END_ARRAY) {
                                filters.add(p.getText());
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
            throw new DecodeException("unknown CloudWatch Logs messageType '" + messageType + "'");
        }
        if (parts == null) {
            throw new DecodeException("CloudWatch Logs envelope has no logEvents array");
        }
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
                    timestamp = value == JsonToken.VALUE_NUMBER_INT ? p.getLongValue() : null;
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

    private static DecodedRecord single(DecodedRecord.Kind kind, byte[] bytes) {
        return new DecodedRecord(kind, List.of(new RawLogEvent(RawLogEvent.Envelope.NONE, null, null, trimNewline(utf8(bytes)))));
    }

    private byte[] gunzip(byte[] data) throws DecodeException {
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(data), 8192)) {
            return readLimited(in, data.length, "gzip");
        } catch (EOFException e) {
            throw new DecodeException("truncated gzip stream", e);
        } catch (ZipException e) {
            throw new DecodeException("corrupt gzip stream: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new DecodeException("unreadable gzip stream: " + e.getMessage(), e);
        }
    }

    private byte[] inflate(byte[] data) throws DecodeException {
        Inflater inflater = new Inflater();
        try {
            inflater.setInput(data);
            ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(256, data.length * 4));
            byte[] buffer = new byte[16384];
            while (!inflater.finished()) {
                int n = inflater.inflate(buffer);
                if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    throw new DecodeException("truncated zlib stream");
                }
                out.write(buffer, 0, n);
                if (out.size() > maxDecompressedBytes) {
                    throw new DecodeException("zlib payload exceeds " + maxDecompressedBytes + " bytes when decompressed");
                }
            }
            return out.toByteArray();
        } catch (DataFormatException e) {
            throw new DecodeException("corrupt zlib stream: " + e.getMessage(), e);
        } finally {
            inflater.end();
        }
    }

    private byte[] readLimited(InputStream in, int compressedLength, String what) throws IOException, DecodeException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(256, Math.min(compressedLength * 8, maxDecompressedBytes)));
        byte[] buffer = new byte[16384];
        long total = 0;
        int n;
        while ((n = in.read(buffer)) > 0) {
            total += n;
            if (total > maxDecompressedBytes) {
                throw new DecodeException(what + " payload exceeds " + maxDecompressedBytes + " bytes when decompressed");
            }
            out.write(buffer, 0, n);
        }
        return out.toByteArray();
    }

    static boolean isGzip(byte[] data) {
        return data.length >= 3 && (data[0] & 0xff) == 0x1f && (data[1] & 0xff) == 0x8b && data[2] == 8;
    }

    /** zlib header: deflate method, 32K window, and the check bits; {@code 78 01/5E/9C/DA} in practice. */
    static boolean isZlib(byte[] data) {
        if (data.length < 2 || (data[0] & 0xff) != 0x78) {
            return false;
        }
        return (((data[0] & 0xff) << 8) | (data[1] & 0xff)) % 31 == 0;
    }

    private static int firstNonWhitespace(byte[] bytes) {
        int i = 0;
        // Skip a UTF-8 byte order mark.
        if (bytes.length >= 3 && (bytes[0] & 0xff) == 0xEF && (bytes[1] & 0xff) == 0xBB && (bytes[2] & 0xff) == 0xBF) {
            i = 3;
        }
        while (i < bytes.length && (bytes[i] == ' ' || bytes[i] == '\n' || bytes[i] == '\r' || bytes[i] == '\t')) {
            i++;
        }
        return i;
    }

    private static String utf8(byte[] bytes) {
        // Invalid sequences become U+FFFD, as CloudWatch Logs itself does.
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static String trimNewline(String s) {
        int end = s.length();
        while (end > 0 && (s.charAt(end - 1) == '\n' || s.charAt(end - 1) == '\r')) {
            end--;
        }
        int start = s.startsWith("\uFEFF") ? 1 : 0;
        return s.substring(start, end);
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "malformed JSON";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
