package dev.nagare.job.source.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPOutputStream;

/** One Kinesis record of the demo stream, before it is turned into bytes. */
public final class DemoRecord {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What the record is, so tests can count what the job must make of it. */
    public enum Kind {
        /** A CWL DATA_MESSAGE: every event becomes a {@code logs} row or a parse dead letter. */
        DATA,
        /** A CWL CONTROL_MESSAGE: counted and dropped. */
        CONTROL,
        /** A gzip stream cut in half: one decode dead letter. */
        TRUNCATED_GZIP,
        /** A complete gzip stream whose content is not JSON: one decode dead letter. */
        NOT_JSON_GZIP
    }

    /** One CWL log event. */
    public static final class Event {
        public final String id;
        public final long timestampMillis;
        public final String message;
        /** True when the demo made this line malformed on purpose (it must become a dead letter). */
        public final boolean malformed;

        Event(String id, long timestampMillis, String message, boolean malformed) {
            this.id = id;
            this.timestampMillis = timestampMillis;
            this.message = message;
            this.malformed = malformed;
        }
    }

    private final Kind kind;
    private final String logGroup;
    private final String logStream;
    private final List<Event> events;

    DemoRecord(Kind kind, String logGroup, String logStream, List<Event> events) {
        this.kind = kind;
        this.logGroup = logGroup;
        this.logStream = logStream;
        this.events = List.copyOf(events);
    }

    public Kind kind() {
        return kind;
    }

    public String logGroup() {
        return logGroup;
    }

    public List<Event> events() {
        return events;
    }

    /** Events that must end up as rows of {@code logs}. */
    /** When Kinesis would have received the record: its last event's time; null for a record without events. */
    public Long arrivalMillis() {
        return events().stream().map(e -> e.timestampMillis).max(Long::compare).orElse(null);
    }

    public long validEvents() {
        return kind == Kind.DATA ? events.stream().filter(e -> !e.malformed).count() : 0;
    }

    /** Records and events that must end up in {@code dead_letter}. */
    public long deadLetters() {
        switch (kind) {
            case DATA:
                return events.stream().filter(e -> e.malformed).count();
            case TRUNCATED_GZIP:
            case NOT_JSON_GZIP:
                return 1;
            default:
                return 0;
        }
    }

    /** The exact bytes CloudWatch Logs would put in the Kinesis record: gzip of compact JSON. */
    public byte[] toBytes() {
        switch (kind) {
            case NOT_JSON_GZIP:
                return gzip("<html>502 Bad Gateway</html> from a misconfigured producer".getBytes(StandardCharsets.UTF_8));
            case TRUNCATED_GZIP:
                byte[] whole = gzip(envelope("DATA_MESSAGE"));
                return Arrays.copyOf(whole, whole.length / 2);
            case CONTROL:
                return gzip(envelope("CONTROL_MESSAGE"));
            default:
                return gzip(envelope("DATA_MESSAGE"));
        }
    }

    private byte[] envelope(String messageType) {
        ObjectNode root = JSON.createObjectNode();
        boolean control = "CONTROL_MESSAGE".equals(messageType);
        root.put("messageType", messageType);
        root.put("owner", control ? "CloudwatchLogs" : DemoScenario.ACCOUNT);
        root.put("logGroup", control ? "" : logGroup);
        root.put("logStream", control ? "" : logStream);
        ArrayNode filters = root.putArray("subscriptionFilters");
        if (!control) {
            filters.add("nagare-demo");
        }
        ArrayNode logEvents = root.putArray("logEvents");
        for (Event e : events) {
            ObjectNode node = logEvents.addObject();
            node.put("id", e.id);
            node.put("timestamp", e.timestampMillis);
            node.put("message", e.message);
        }
        try {
            return JSON.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Gzip, as CloudWatch Logs compresses every subscription record. */
    public static byte[] gzip(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(data.length / 4 + 64);
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
