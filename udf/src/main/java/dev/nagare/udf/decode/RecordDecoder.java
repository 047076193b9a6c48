package dev.nagare.udf.decode;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Turns the raw bytes of one Kinesis record into log events by sniffing them (LOG_FORMATS.md
 * section 0): a gzip member is a CloudWatch Logs subscription envelope, a JSON document is one
 * event, anything else is one line of text.
 *
 * <p>Thread-safe and allocation-light; one instance per operator is enough.
 */
public final class RecordDecoder {

    /** Large enough for a 10 MiB Kinesis record of ~1 MB CWL events, small enough to stop gzip bombs. */
    public static final int DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper();

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
        if (isGzip(data)) {
            return decodeDocument(gunzip(data), true);
        }
        return decodeDocument(data, false);
    }

    private DecodedRecord decodeDocument(byte[] bytes, boolean wasGzip) throws DecodeException {
        int start = firstNonWhitespace(bytes);
        if (start < bytes.length && bytes[start] == '{') {
            JsonNode root;
            try {
                root = JSON.readTree(bytes);
            } catch (IOException e) {
                if (wasGzip) {
                    // A gzip member must be a CWL envelope; malformed JSON inside is not a log line.
                    throw new DecodeException("gzip payload is not valid JSON: " + firstLine(e));
                }
                return textRecord(bytes);
            }
            if (root != null && root.has("messageType")) {
                return envelope(root);
            }
            return new DecodedRecord(
                    DecodedRecord.Kind.JSON,
                    List.of(new RawLogEvent(RawLogEvent.Envelope.NONE, null, null, trimNewline(utf8(bytes)))));
        }
        if (wasGzip) {
            throw new DecodeException("gzip payload is not a CloudWatch Logs envelope (no JSON object)");
        }
        return textRecord(bytes);
    }

    private static DecodedRecord envelope(JsonNode root) throws DecodeException {
        String messageType = root.path("messageType").asText("");
        if ("CONTROL_MESSAGE".equals(messageType)) {
            return new DecodedRecord(DecodedRecord.Kind.CWL_CONTROL, List.of());
        }
        if (!"DATA_MESSAGE".equals(messageType)) {
            throw new DecodeException("unknown CloudWatch Logs messageType '" + messageType + "'");
        }
        JsonNode logEvents = root.get("logEvents");
        if (logEvents == null || !logEvents.isArray()) {
            throw new DecodeException("CloudWatch Logs envelope has no logEvents array");
        }
        List<String> filters = new ArrayList<>();
        root.path("subscriptionFilters").forEach(f -> filters.add(f.asText()));
        RawLogEvent.Envelope envelope =
                new RawLogEvent.Envelope(
                        textOrNull(root.get("owner")),
                        textOrNull(root.get("logGroup")),
                        textOrNull(root.get("logStream")),
                        filters.isEmpty() ? null : String.join(",", filters),
                        textOrNull(root.get("policyLevel")));
        List<RawLogEvent> events = new ArrayList<>(logEvents.size());
        for (JsonNode event : logEvents) {
            JsonNode ts = event.get("timestamp");
            events.add(
                    new RawLogEvent(
                            envelope,
                            // The id is a ~56-digit number: never let it pass through a long.
                            textOrNull(event.get("id")),
                            ts != null && ts.canConvertToLong() ? ts.asLong() : null,
                            event.path("message").asText("")));
        }
        return new DecodedRecord(DecodedRecord.Kind.CWL_DATA, events);
    }

    private static DecodedRecord textRecord(byte[] bytes) {
        return new DecodedRecord(
                DecodedRecord.Kind.TEXT,
                List.of(new RawLogEvent(RawLogEvent.Envelope.NONE, null, null, trimNewline(utf8(bytes)))));
    }

    private byte[] gunzip(byte[] data) throws DecodeException {
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(data), 8192)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(256, data.length * 8));
            byte[] buffer = new byte[16384];
            long total = 0;
            int n;
            while ((n = in.read(buffer)) > 0) {
                total += n;
                if (total > maxDecompressedBytes) {
                    throw new DecodeException(
                            "gzip payload exceeds " + maxDecompressedBytes + " bytes when decompressed");
                }
                out.write(buffer, 0, n);
            }
            return out.toByteArray();
        } catch (EOFException e) {
            throw new DecodeException("truncated gzip stream", e);
        } catch (ZipException e) {
            throw new DecodeException("corrupt gzip stream: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new DecodeException("unreadable gzip stream: " + e.getMessage(), e);
        }
    }

    static boolean isGzip(byte[] data) {
        return data.length >= 3 && (data[0] & 0xff) == 0x1f && (data[1] & 0xff) == 0x8b && data[2] == 8;
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

    private static String textOrNull(JsonNode node) {
        return node == null || node.isNull() ? null : node.asText();
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
        return s.substring(0, end);
    }

    private static String firstLine(JsonProcessingException e) {
        String m = e.getOriginalMessage();
        return m == null ? e.getClass().getSimpleName() : m.lines().findFirst().orElse(m);
    }

    private static String firstLine(IOException e) {
        if (e instanceof JsonProcessingException) {
            return firstLine((JsonProcessingException) e);
        }
        return String.valueOf(e.getMessage());
    }
}
